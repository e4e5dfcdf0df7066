/* test_store.c: the SQLite store behind store.h (src/server/store_sqlite.c):
 * append with batch-id dedupe, ordering and filters, cursors, search over
 * indexed and not-yet-indexed rows (the same answers), retention, counts,
 * and persistence across reopening; every filter against a brute-force
 * oracle while the deferred indexes lag (tail, late rows, a slice boundary),
 * across a reopen, and once they have caught up. */
#include "testutil.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "server/search.h"
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

/* ---- every filter against an oracle while the indexes lag ------------------ */

#define LAG_N 27000 /* more than one index slice (20,000): a slice ends mid-tail */

typedef struct lag_rec {
    int64_t ts;
    int level, cat, lg, perf;
    char msg[48];
} lag_rec;

static lag_rec *lag_recs;
static size_t lag_n;
static const char *const lag_cats[] = {"api", "database", "security", "system"};
static const char *const lag_lgs[] = {"svc.a", "svc.b", "svc.c", "svc.d", "svc.e"};
static const char *const lag_words[] = {"alpha", "beta", "gamma", "delta", "timeout"};

typedef struct ids {
    int *v;
    size_t n, cap;
    int64_t last_id; /* of the last entry received */
} ids;

static int collect_idx(const nlogd_entry *e, void *user)
{
    ids *g = user;
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 1024;
        g->v = realloc(g->v, g->cap * sizeof *g->v);
    }
    g->v[g->n++] = atoi(e->message + 1); /* "m<index> ..." */
    g->last_id = e->id;
    return 0;
}

static const lag_rec *lag_sort_base;
static int lag_cmp_desc(const void *a, const void *b)
{
    int64_t x = lag_sort_base[*(const int *) a].ts, y = lag_sort_base[*(const int *) b].ts;
    return x < y ? 1 : x > y ? -1 : 0;
}

static int64_t lag_deleted_before = INT64_MIN; /* retention, once it ran */

static int lag_match(const nlogd_filter *f, const lag_rec *r, const nlogd_search *q)
{
    if (r->ts < lag_deleted_before)
        return 0;
    if (f->only_level ? r->level != f->only_level : r->level < f->min_level)
        return 0;
    if (f->category[0] && strcmp(f->category, lag_cats[r->cat]) != 0)
        return 0;
    if (f->logger[0] && strcmp(f->logger, lag_lgs[r->lg]) != 0)
        return 0;
    if ((f->has_start && r->ts < f->start_ns) || (f->has_end && r->ts > f->end_ns))
        return 0;
    if (f->need_perf && !r->perf)
        return 0;
    if (f->max_level && r->level > f->max_level)
        return 0;
    return !f->search[0] || nlogd_search_match(q, r->msg, strlen(r->msg));
}

/* The store's answer to f (all of it, then page by page) equals the oracle's. */
static void lag_check(nlogd_store *s, const nlogd_filter *f0, const char *what)
{
    nlogd_search q;
    char why[128];
    if (f0->search[0])
        assert_int_equal(nlogd_search_compile(f0->search, strlen(f0->search), &q, why,
                                              sizeof why), 0);
    int *want = malloc(lag_n * sizeof *want);
    size_t nw = 0;
    for (size_t i = 0; i < lag_n; i++)
        if (lag_match(f0, &lag_recs[i], &q))
            want[nw++] = (int) i;
    lag_sort_base = lag_recs;
    qsort(want, nw, sizeof *want, lag_cmp_desc);
    if (f0->ascending)
        for (size_t i = 0; i < nw / 2; i++) {
            int t = want[i];
            want[i] = want[nw - 1 - i];
            want[nw - 1 - i] = t;
        }
    ids got_all = {NULL, 0, 0, 0};
    int more = 0;
    assert_int_equal(nlogd_store_query(s, f0, 0, collect_idx, &got_all, &more), NLOG_OK);
    if (got_all.n != nw)
        fail_msg("%s: %zu entries, expected %zu", what, got_all.n, nw);
    for (size_t i = 0; i < nw; i++)
        if (got_all.v[i] != want[i])
            fail_msg("%s: entry %zu is m%d, expected m%d", what, i, got_all.v[i], want[i]);
    /* the same in pages of 997, each continuing after the last id of the one before */
    nlogd_filter f = *f0;
    size_t seen = 0;
    for (;;) {
        ids page = {NULL, 0, 0, 0};
        assert_int_equal(nlogd_store_query(s, &f, 997, collect_idx, &page, &more), NLOG_OK);
        assert_true(seen + page.n <= nw);
        for (size_t i = 0; i < page.n; i++)
            if (page.v[i] != want[seen + i])
                fail_msg("%s: paged entry %zu is m%d, expected m%d", what, seen + i,
                         page.v[i], want[seen + i]);
        seen += page.n;
        free(page.v);
        if (!more)
            break;
        f.has_cursor = 1;
        f.cursor_id = page.last_id;
    }
    assert_int_equal(seen, nw);
    free(got_all.v);
    free(want);
}

#define LAG_SLOTS (LAG_N + 3000)
#define LAG_STEP 7000000LL /* ns between timestamp slots */

static void lag_append(nlogd_store *s, size_t from, size_t to)
{
    nlogd_record *recs = calloc(500, sizeof *recs);
    static const char perf[] = "{\"response_time\":0.5}";
    for (size_t i = from; i < to;) {
        size_t n = 0;
        for (; n < 500 && i < to; n++, i++) {
            const lag_rec *r = &lag_recs[i];
            recs[n] = mk(r->ts, r->level, lag_cats[r->cat], lag_lgs[r->lg], r->msg);
            recs[n].perf = r->perf ? perf : NULL;
        }
        append(s, recs, n, NULL);
    }
    free(recs);
}

static void lag_make(size_t i)
{
    lag_rec *r = &lag_recs[i];
    /* distinct microseconds in scattered order: 7919 is prime to LAG_SLOTS */
    r->ts = T0 + (int64_t) ((i * 7919) % LAG_SLOTS) * LAG_STEP;
    r->level = nlog_level_from_index((int) ((i * 13) % 8));
    r->cat = (int) ((i * 7) % 4);
    r->lg = (int) ((i * 3 + i / 11) % 5);
    r->perf = i % 6 == 0;
    snprintf(r->msg, sizeof r->msg, "m%zu %s %s%s", i, lag_words[i % 5], lag_words[(i / 5) % 5],
             i % 97 == 0 ? " gamma-ray" : "");
}

static void lag_check_all(nlogd_store *s, const char *phase)
{
    char what[512];
    nlogd_filter f;
#define CHECK(setup)                                                      \
    do {                                                                  \
        memset(&f, 0, sizeof f);                                          \
        setup;                                                            \
        snprintf(what, sizeof what, "%s: %s", phase, #setup);            \
        lag_check(s, &f, what);                                           \
    } while (0)
    CHECK((void) 0);
    CHECK(f.ascending = 1);
    CHECK(f.min_level = NLOG_LEVEL_ERROR);
    CHECK(f.min_level = NLOG_LEVEL_DEBUG);
    CHECK(f.only_level = NLOG_LEVEL_WARNING);
    CHECK(snprintf(f.category, sizeof f.category, "api"));
    CHECK((snprintf(f.category, sizeof f.category, "api"), f.min_level = NLOG_LEVEL_ERROR));
    CHECK((snprintf(f.logger, sizeof f.logger, "svc.c"), f.ascending = 1));
    CHECK((snprintf(f.category, sizeof f.category, "database"),
           snprintf(f.logger, sizeof f.logger, "svc.b"), f.min_level = NLOG_LEVEL_INFO));
    CHECK((f.has_start = f.has_end = 1, f.start_ns = T0 + LAG_SLOTS / 5 * LAG_STEP,
           f.end_ns = T0 + LAG_SLOTS / 5 * 4 * LAG_STEP, f.min_level = NLOG_LEVEL_INFO));
    CHECK((f.need_perf = 1, f.min_level = NLOG_LEVEL_WARNING));
    CHECK(snprintf(f.search, sizeof f.search, "timeout"));
    CHECK(snprintf(f.search, sizeof f.search, "alpha beta"));
    CHECK((snprintf(f.search, sizeof f.search, "gam*"),
           snprintf(f.category, sizeof f.category, "security")));
    CHECK((snprintf(f.search, sizeof f.search, "delta"), f.min_level = NLOG_LEVEL_ERROR,
           f.ascending = 1));
    CHECK(f.max_level = NLOG_LEVEL_CRITICAL); /* a viewer's role */
    CHECK((f.max_level = NLOG_LEVEL_CRITICAL, f.min_level = NLOG_LEVEL_WARNING,
           snprintf(f.logger, sizeof f.logger, "svc.a")));
    CHECK((f.max_level = NLOG_LEVEL_INFO, f.min_level = NLOG_LEVEL_ERROR)); /* none */
    CHECK((snprintf(f.search, sizeof f.search, "alpha"), f.max_level = NLOG_LEVEL_WARNING,
           snprintf(f.category, sizeof f.category, "api")));
#undef CHECK
}

static int64_t db_scalar(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Every indexed row carries exactly its own level, category and logger tag
 * words (0xFF, kind, number: store_sqlite.c), so the index narrows a filter
 * to the matching rows and no others (the residual check in the query
 * would hide extra rows; this would not). */
static void index_tags_exact(const char *path)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    static const char *const sql[] = {
        "SELECT level, count(*) FROM entries GROUP BY 1",
        "SELECT category, count(*) FROM entries GROUP BY 1",
        "SELECT logger, count(*) FROM entries GROUP BY 1",
    };
    static const char kinds[] = "lcg";
    size_t groups = 0;
    for (int k = 0; k < 3; k++) {
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(db, sql[k], -1, &st, NULL), SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW) {
            char q[160];
            snprintf(q, sizeof q,
                     "SELECT count(*) FROM entries_idx WHERE entries_idx MATCH '\"\xff%c%lld\"'",
                     kinds[k], (long long) sqlite3_column_int64(st, 0));
            assert_int_equal(db_scalar(db, q), sqlite3_column_int64(st, 1));
            groups++;
        }
        sqlite3_finalize(st);
    }
    assert_true(groups >= 8 + 4 + 5 - 2); /* retention may have emptied a group */
    assert_int_equal(db_scalar(db, "SELECT count(*) FROM entries_idx WHERE entries_idx MATCH"
                                   " '\"\xffl999\"'"),
                     0);
    sqlite3_close(db);
}

static void test_queries_while_indexes_lag(void **state)
{
    (void) state;
    char why[256];
    const char *path = tu_path(tu_scratch("store_lag"), "t.db");
    nlogd_store *s = open_store("store_lag");
    lag_recs = calloc(LAG_SLOTS, sizeof *lag_recs);
    for (size_t i = 0; i < LAG_SLOTS; i++)
        lag_make(i);
    lag_n = LAG_N;
    lag_append(s, 0, LAG_N);
    assert_int_equal(nlogd_store_fts_lag(s), LAG_N);
    lag_check_all(s, "nothing indexed");
    /* One slice: the oldest 20,000 rows are indexed, the rest is the tail. */
    int more = 0;
    assert_int_equal(nlogd_store_maintain(s, 0, &more), NLOG_OK);
    assert_true(more);
    assert_int_equal(nlogd_store_fts_lag(s), LAG_N - 20000);
    /* Rows with timestamps everywhere: below the indexed boundary they are
     * late (fts_pending), above it part of the tail. */
    lag_n = LAG_SLOTS;
    lag_append(s, LAG_N, LAG_SLOTS);
    assert_int_equal(nlogd_store_fts_lag(s), LAG_SLOTS - 20000);
    lag_check_all(s, "indexed, late and tail rows");
    /* Restart while the indexes lag: the boundary and the late rows persist. */
    nlogd_store_close(s);
    assert_int_equal(nlogd_store_open(path, &s, why, sizeof why), NLOG_OK);
    assert_int_equal(nlogd_store_fts_lag(s), LAG_SLOTS - 20000);
    lag_check_all(s, "reopened while lagging");
    /* Retention while lagging removes rows of every kind (and the index
     * entries of the indexed ones); then the indexes catch up. */
    lag_deleted_before = T0 + (int64_t) LAG_SLOTS * LAG_STEP / 10 * 7;
    do
        assert_int_equal(nlogd_store_maintain(s, lag_deleted_before, &more), NLOG_OK);
    while (more);
    assert_int_equal(nlogd_store_fts_lag(s), 0);
    assert_int_equal(nlogd_store_index_merging(s), 0); /* the loop ran until nothing was left */
    lag_check_all(s, "after retention, caught up");
    index_tags_exact(path);
    nlogd_store_stats st;
    assert_int_equal(nlogd_store_stats_get(s, T0, &st), NLOG_OK);
    size_t left = 0;
    for (size_t i = 0; i < lag_n; i++)
        left += lag_recs[i].ts >= lag_deleted_before;
    assert_int_equal(st.total, left);
    nlogd_store_stats_free(&st);
    /* New rows after catching up are the tail again. */
    nlogd_store_close(s);
    free(lag_recs);
}

/* kill -9 of the process while the indexes lag: the WAL is left as it was,
 * nothing checkpointed, nothing closed. The next open sees every committed
 * row, the committed slice boundary and the late rows, answers as before,
 * and catches up. */
static void test_kill9_while_indexes_lag(void **state)
{
    (void) state;
    char why[256];
    const char *path = tu_path(tu_scratch("store_kill9"), "t.db");
    lag_recs = calloc(LAG_SLOTS, sizeof *lag_recs);
    for (size_t i = 0; i < LAG_SLOTS; i++)
        lag_make(i);
    lag_deleted_before = INT64_MIN;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        nlogd_store *c = NULL;
        int more = 0;
        if (nlogd_store_open(path, &c, why, sizeof why) != NLOG_OK)
            _exit(2);
        lag_append(c, 0, LAG_N);
        if (nlogd_store_maintain(c, 0, &more) != NLOG_OK || !more)
            _exit(3);
        lag_append(c, LAG_N, LAG_SLOTS);
        raise(SIGKILL);
        _exit(4);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
        fail_msg("the child did not die by SIGKILL (status %d)", status);
    nlogd_store *s = NULL;
    assert_int_equal(nlogd_store_open(path, &s, why, sizeof why), NLOG_OK);
    lag_n = LAG_SLOTS;
    assert_int_equal(nlogd_store_fts_lag(s), LAG_SLOTS - 20000);
    lag_check_all(s, "after kill -9 while lagging");
    int more = 1;
    while (more)
        assert_int_equal(nlogd_store_maintain(s, 0, &more), NLOG_OK);
    assert_int_equal(nlogd_store_fts_lag(s), 0);
    lag_check_all(s, "caught up after kill -9");
    nlogd_store_close(s);
    free(lag_recs);
}

/* A store of schema 1 (SQL indexes on entries, every unindexed row in
 * fts_pending) is migrated when opened and answers exactly as before. */
/* What schemas 1 to 3 kept beside entries, rebuilt on a current store:
 * entries_fts (external content, filled) and the keys of level, category
 * and logger as SQL indexes on entries (schema 1, which had no meta) or as
 * ix_* tables (schemas 2 and 3). */
static const char *const legacy_sql[2] = {
    "BEGIN;"
    "DROP TABLE entries_idx;"
    "CREATE VIRTUAL TABLE entries_fts USING fts5(message, content='entries',"
    " content_rowid='id', tokenize='ascii', detail='none', columnsize=0);"
    "INSERT INTO entries_fts(entries_fts) VALUES('rebuild');"
    "INSERT INTO fts_pending SELECT id FROM entries WHERE id >="
    " (SELECT value FROM meta WHERE key = 'tail_from');"
    "DROP TABLE meta;"
    "CREATE INDEX entries_level ON entries(level);"
    "CREATE INDEX entries_category ON entries(category, level);"
    "CREATE INDEX entries_logger ON entries(logger, level);"
    "COMMIT;",
    "BEGIN;"
    "DROP TABLE entries_idx;"
    "CREATE VIRTUAL TABLE entries_fts USING fts5(message, content='entries',"
    " content_rowid='id', tokenize='ascii', detail='none', columnsize=0);"
    "INSERT INTO entries_fts(entries_fts) VALUES('rebuild');"
    "CREATE TABLE ix_level(level INTEGER NOT NULL, id INTEGER NOT NULL,"
    " PRIMARY KEY(level, id)) WITHOUT ROWID;"
    "CREATE TABLE ix_category(category INTEGER NOT NULL, level INTEGER NOT NULL,"
    " id INTEGER NOT NULL, PRIMARY KEY(category, level, id)) WITHOUT ROWID;"
    "CREATE TABLE ix_logger(logger INTEGER NOT NULL, level INTEGER NOT NULL,"
    " id INTEGER NOT NULL, PRIMARY KEY(logger, level, id)) WITHOUT ROWID;"
    "INSERT INTO ix_level SELECT level, id FROM entries;"
    "INSERT INTO ix_category SELECT category, level, id FROM entries;"
    "INSERT INTO ix_logger SELECT logger, level, id FROM entries;"
    "UPDATE meta SET value = 3 WHERE key = 'schema';"
    "COMMIT;",
};

/* A store of schema 1 or 3 opens as schema 4: the old indexes are dropped,
 * every row is pending (queries answer the same by scanning), and the
 * maintenance slices build entries_idx for all of them. */
static void test_migrate_legacy_index(void **state)
{
    (void) state;
    char why[256];
    for (int v = 0; v < 2; v++) {
        const char *path = tu_path(tu_scratch(v ? "store_v3" : "store_v1"), "t.db");
        lag_recs = calloc(LAG_SLOTS, sizeof *lag_recs);
        for (size_t i = 0; i < LAG_SLOTS; i++)
            lag_make(i);
        lag_deleted_before = INT64_MIN;
        nlogd_store *s = NULL;
        assert_int_equal(nlogd_store_open(path, &s, why, sizeof why), NLOG_OK);
        lag_append(s, 0, 1000);
        int more = 1;
        while (more)
            assert_int_equal(nlogd_store_maintain(s, 0, &more), NLOG_OK);
        lag_append(s, 1000, 1300); /* not indexed: pending */
        nlogd_store_close(s);
        sqlite3 *db;
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, legacy_sql[v], NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);

        assert_int_equal(nlogd_store_open(path, &s, why, sizeof why), NLOG_OK);
        lag_n = 1300;
        assert_int_equal(nlogd_store_fts_lag(s), 1300);
        lag_check_all(s, v ? "migrated from schema 3" : "migrated from schema 1");
        more = 1;
        while (more)
            assert_int_equal(nlogd_store_maintain(s, 0, &more), NLOG_OK);
        assert_int_equal(nlogd_store_fts_lag(s), 0);
        lag_check_all(s, "migrated, caught up");
        nlogd_store_close(s);

        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(db_scalar(db, "SELECT count(*) FROM sqlite_master WHERE name IN"
                                       " ('entries_fts', 'ix_level', 'ix_category', 'ix_logger')"
                                       " OR (type = 'index' AND name LIKE 'entries_%')"),
                         0);
        assert_int_equal(db_scalar(db, "SELECT value FROM meta WHERE key = 'schema'"), 4);
        assert_int_equal(db_scalar(db, "SELECT count(*) FROM fts_pending"), 0);
        sqlite3_close(db);
        free(lag_recs);
    }
}

/* ---- many records at one timestamp ------------------------------------------ */

typedef struct tie_seen {
    int64_t first_ts, last_ts;
    int64_t prev_id;
    size_t n, bad_order;
    int ascending;
    int64_t min_ts, max_ts;
    int *msg_seen;             /* by message number "t<k>", when set */
    size_t msg_cap;
    int64_t last_id;
} tie_seen;

static int tie_collect(const nlogd_entry *e, void *user)
{
    tie_seen *t = user;
    if (t->n == 0) {
        t->first_ts = e->ts_ns;
        t->min_ts = t->max_ts = e->ts_ns;
    } else {
        if (t->ascending ? e->id <= t->prev_id : e->id >= t->prev_id)
            t->bad_order++;
        if (t->ascending ? e->ts_ns < t->last_ts : e->ts_ns > t->last_ts)
            t->bad_order++;
    }
    if (e->ts_ns < t->min_ts)
        t->min_ts = e->ts_ns;
    if (e->ts_ns > t->max_ts)
        t->max_ts = e->ts_ns;
    if (t->msg_seen && e->message[0] == 't') {
        long k = atol(e->message + 1);
        if (k >= 0 && (size_t) k < t->msg_cap)
            t->msg_seen[k]++;
    }
    t->last_ts = e->ts_ns;
    t->prev_id = e->id;
    t->last_id = e->id;
    t->n++;
    return 0;
}

static tie_seen tie_window(nlogd_store *s, int64_t a, int64_t b, int asc, size_t limit)
{
    tie_seen t;
    memset(&t, 0, sizeof t);
    t.ascending = asc;
    nlogd_filter f;
    memset(&f, 0, sizeof f);
    f.has_start = f.has_end = 1;
    f.start_ns = a;
    f.end_ns = b;
    f.ascending = asc;
    int more;
    assert_int_equal(nlogd_store_query(s, &f, limit, tie_collect, &t, &more), NLOG_OK);
    if (t.n) {
        assert_true(t.min_ts >= a);
        assert_true(t.max_ts <= b);
    }
    assert_int_equal(t.bad_order, 0);
    return t;
}

static void tie_append(nlogd_store *s, int64_t ts, size_t from, size_t n, int level)
{
    nlogd_record *recs = calloc(10000, sizeof *recs);
    char (*msgs)[24] = calloc(10000, sizeof *msgs);
    for (size_t done = 0; done < n;) {
        size_t k = n - done < 10000 ? n - done : 10000;
        for (size_t i = 0; i < k; i++) {
            snprintf(msgs[i], sizeof msgs[i], "t%zu", from + done + i);
            recs[i] = mk(ts, level, "api", "svc.t", msgs[i]);
        }
        append(s, recs, k, NULL);
        done += k;
    }
    free(msgs);
    free(recs);
}

/* Pages of `page` entries, each after the last id of the one before, over
 * [a, b]: every record exactly once, in order. Returns how many. */
static size_t tie_pages(nlogd_store *s, int64_t a, int64_t b, int asc, size_t page, size_t total)
{
    int *seen = calloc(total, sizeof *seen);
    nlogd_filter f;
    memset(&f, 0, sizeof f);
    f.has_start = f.has_end = 1;
    f.start_ns = a;
    f.end_ns = b;
    f.ascending = asc;
    size_t n = 0;
    int more = 1;
    int64_t prev = 0;
    while (more) {
        tie_seen t;
        memset(&t, 0, sizeof t);
        t.ascending = asc;
        t.msg_seen = seen;
        t.msg_cap = total;
        assert_int_equal(nlogd_store_query(s, &f, page, tie_collect, &t, &more), NLOG_OK);
        assert_int_equal(t.bad_order, 0);
        if (n && t.n)
            assert_true(asc ? t.first_ts >= prev : t.first_ts <= prev);
        prev = t.last_ts;
        n += t.n;
        f.has_cursor = 1;
        f.cursor_id = t.last_id;
        if (!t.n)
            break;
    }
    for (size_t i = 0; i < total; i++)
        if (seen[i] != 1)
            fail_msg("record t%zu listed %d times", i, seen[i]);
    free(seen);
    return n;
}

/* More than 1024 records in one microsecond: the 1025th and later take the
 * ids after the microsecond's own, and windows, order and cursors stay
 * exact — also with records of the next microsecond stored after them, and
 * late records of the crowded microsecond after those. */
static void test_ties_over_1024(void **state)
{
    (void) state;
    const int64_t T = T0 + 123456789LL; /* not on a microsecond boundary */
    const int64_t U = T + 1000;         /* the next microsecond */
    nlogd_store *s = open_store("store_ties");
    tie_append(s, T, 0, 3000, NLOG_LEVEL_INFO);
    tie_append(s, U, 3000, 1000, NLOG_LEVEL_ERROR);
    assert_int_equal(tie_window(s, T, T, 0, 0).n, 3000);
    assert_int_equal(tie_window(s, U, U, 0, 0).n, 1000);
    assert_int_equal(tie_window(s, T + 1, U, 0, 0).n, 1000); /* sub-microsecond bound */
    assert_int_equal(tie_window(s, T, U - 1, 1, 0).n, 3000);
    assert_int_equal(tie_window(s, T - 1000, T - 1, 0, 0).n, 0);
    assert_int_equal(tie_window(s, U + 1, U + 5000, 0, 0).n, 0);
    /* Late records of the crowded microsecond still sort before the next. */
    tie_append(s, T, 4000, 500, NLOG_LEVEL_WARNING);
    tie_seen all = tie_window(s, T, U, 0, 0); /* order checked: ts never rises */
    assert_int_equal(all.n, 4500);
    assert_int_equal(tie_window(s, T, T, 1, 0).n, 3500);
    for (int asc = 0; asc < 2; asc++)
        assert_int_equal(tie_pages(s, T, U, asc, 997, 4500), 4500);
    /* Filters read the same ranges through the indexes once caught up. */
    int more = 1;
    while (more)
        assert_int_equal(nlogd_store_maintain(s, 0, &more), NLOG_OK);
    nlogd_filter f;
    memset(&f, 0, sizeof f);
    f.has_start = f.has_end = 1;
    f.start_ns = f.end_ns = T;
    f.min_level = NLOG_LEVEL_WARNING;
    static got g;
    assert_int_equal(query(s, &f, 0, &g, NULL), 500);
    memset(&f, 0, sizeof f);
    f.has_start = f.has_end = 1;
    f.start_ns = f.end_ns = U;
    snprintf(f.search, sizeof f.search, "t3*");
    assert_int_equal(query(s, &f, 0, &g, NULL), 1000);
    /* Retention: "older than" a time deletes the crowded microsecond whole,
     * spilled ids included; exactly at it, nothing of it. */
    do
        assert_int_equal(nlogd_store_maintain(s, T, &more), NLOG_OK);
    while (more);
    assert_int_equal(tie_window(s, T, T, 0, 0).n, 3500);
    do
        assert_int_equal(nlogd_store_maintain(s, T + 1, &more), NLOG_OK);
    while (more);
    assert_int_equal(tie_window(s, T, T, 0, 0).n, 0);
    assert_int_equal(tie_window(s, U, U, 0, 0).n, 1000);
    nlogd_store_stats st;
    assert_int_equal(nlogd_store_stats_get(s, T0, &st), NLOG_OK);
    assert_int_equal(st.total, 1000);
    assert_int_equal(st.oldest_ns, U);
    assert_int_equal(st.newest_ns, U);
    nlogd_store_stats_free(&st);
    nlogd_store_close(s);
}

/* More than 2^20 records at one timestamp (the old probing gave up there
 * and failed the whole commit). The writer never walks the records already
 * stored at that time: after a restart (nothing cached), one more record
 * at it costs at most two id look-ups. */
static void test_ties_over_2_20(void **state)
{
    (void) state;
    char why[256];
    const int64_t T = T0 + 7000000000LL;
    const size_t N = (1u << 20) + 3000;
    const char *path = tu_path(tu_scratch("store_ties_big"), "t.db");
    nlogd_store *s = NULL;
    assert_int_equal(nlogd_store_open(path, &s, why, sizeof why), NLOG_OK);
    tie_append(s, T, 0, N, NLOG_LEVEL_INFO);
    assert_int_equal(nlogd__store_id_probes(s), 0); /* one batch after another: cached */
    nlogd_store_close(s);
    assert_int_equal(nlogd_store_open(path, &s, why, sizeof why), NLOG_OK);
    tie_append(s, T, N, 1, NLOG_LEVEL_ERROR);
    assert_true(nlogd__store_id_probes(s) <= 2);
    tie_append(s, T + 1000, N + 1, 1, NLOG_LEVEL_ERROR); /* the next microsecond */
    assert_true(nlogd__store_id_probes(s) <= 4);
    tie_seen t = tie_window(s, T, T, 0, 0);
    assert_int_equal(t.n, N + 1);
    t = tie_window(s, T + 1000, T + 1000, 0, 0);
    assert_int_equal(t.n, 1);
    assert_int_equal(tie_window(s, T + 1, T + 999, 0, 0).n, 0);
    /* Newest first: the next microsecond's record, then the latest at T. */
    static got g;
    nlogd_filter f;
    memset(&f, 0, sizeof f);
    assert_int_equal(query(s, &f, 2, &g, NULL), 2);
    assert_string_equal(g.msgs[0], "t1051577"); /* N + 1 */
    assert_string_equal(g.msgs[1], "t1051576"); /* N */
    /* A page in the middle continues exactly after its cursor. */
    f.has_cursor = 1;
    f.cursor_id = g.ids[1];
    assert_int_equal(query(s, &f, 3, &g, NULL), 3);
    assert_string_equal(g.msgs[0], "t1051575");
    assert_string_equal(g.msgs[2], "t1051573");
    f.ascending = 1;
    f.has_cursor = 0;
    assert_int_equal(query(s, &f, 1, &g, NULL), 1);
    assert_string_equal(g.msgs[0], "t0");
    nlogd_store_close(s);
}

/* ---- the dedupe window, reused ids, names ----------------------------------- */

#define HOUR_NS (3600LL * 1000000000LL)

static nlogd_batch send_batch(nlogd_store *s, const char *id, uint64_t digest)
{
    static char msg[64];
    static unsigned k;
    snprintf(msg, sizeof msg, "batch %s %u", id, k++);
    nlogd_record r = mk(T0, NLOG_LEVEL_INFO, "api", "svc", msg);
    nlogd_batch b = {0};
    b.recs = &r;
    b.n = 1;
    snprintf(b.batch_id, sizeof b.batch_id, "%s", id);
    b.digest = digest;
    nlogd_batch *bs[1] = {&b};
    assert_int_equal(nlogd_store_append(s, bs, 1), NLOG_OK);
    assert_int_equal(b.status, NLOG_OK);
    b.recs = NULL;
    return b;
}

static void forget_old_batches(nlogd_store *s)
{
    nlogd_maint m = {NLOGD_MAINT_BATCHES, 0, 0, 0};
    unsigned did;
    int more = 1;
    while (more)
        assert_int_equal(nlogd_store_maintain_ex(s, &m, &did, &more), NLOG_OK);
}

/* Batch ids are remembered for 24 hours of nlogd's running time: a retry
 * (same body) within it is a duplicate, the same id with another body is a
 * conflict (nothing stored, nothing dropped silently), and after it the id
 * is forgotten (the table does not grow forever). Time while nlogd is
 * stopped does not count. */
static void test_batch_window(void **state)
{
    (void) state;
    char why[256];
    const char *path = tu_path(tu_scratch("store_batches"), "t.db");
    nlogd_store *s = NULL;
    assert_int_equal(nlogd_store_open(path, &s, why, sizeof why), NLOG_OK);
    const int64_t t1 = T0;
    nlogd__store_set_clock(s, t1, t1);
    nlogd_batch b = send_batch(s, "a", 11);
    assert_false(b.duplicate || b.conflict);
    b = send_batch(s, "a", 11);
    assert_true(b.duplicate && !b.conflict);
    assert_int_equal(b.orig_accepted, 1);
    b = send_batch(s, "a", 12); /* a counter that restarted: another body */
    assert_true(b.conflict && !b.duplicate);
    b = send_batch(s, "a", 0); /* no digest (as before schema 3): a duplicate */
    assert_true(b.duplicate);
    nlogd__store_set_clock(s, t1 + 23 * HOUR_NS, 0);
    forget_old_batches(s);
    assert_true(send_batch(s, "a", 11).duplicate);
    nlogd__store_set_clock(s, t1 + 25 * HOUR_NS, 0);
    forget_old_batches(s);
    b = send_batch(s, "a", 11); /* forgotten: stored again */
    assert_false(b.duplicate || b.conflict);
    nlogd_store_stats st;
    assert_int_equal(nlogd_store_stats_get(s, T0, &st), NLOG_OK);
    assert_int_equal(st.total, 2);
    nlogd_store_stats_free(&st);
    /* A batch stored just before a stop of two days is still remembered
     * for a day of running time after the restart. */
    const int64_t t2 = t1 + 30 * HOUR_NS;
    nlogd__store_set_clock(s, t2, 0);
    assert_false(send_batch(s, "b", 21).duplicate);
    nlogd_store_close(s);
    assert_int_equal(nlogd_store_open(path, &s, why, sizeof why), NLOG_OK);
    const int64_t restart = t2 + 48 * HOUR_NS;
    nlogd__store_set_clock(s, restart + HOUR_NS, restart);
    forget_old_batches(s);
    assert_true(send_batch(s, "b", 21).duplicate);
    assert_true(send_batch(s, "a", 11).duplicate); /* stored at t1 + 25 h, 5 h before b */
    nlogd__store_set_clock(s, restart + 20 * HOUR_NS, 0);
    forget_old_batches(s);
    assert_false(send_batch(s, "a", 11).duplicate); /* 5 + 20 h of running time */
    assert_true(send_batch(s, "b", 21).duplicate);
    nlogd__store_set_clock(s, restart + 25 * HOUR_NS, 0);
    forget_old_batches(s);
    assert_false(send_batch(s, "b", 21).duplicate);
    nlogd_store_close(s);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM batches", -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 2); /* a and b, each stored once more */
    sqlite3_finalize(q);
    sqlite3_close(db);
}

typedef struct name_check {
    size_t n, wrong;
} name_check;

/* Messages are "<logger> ...": the entry's logger must be that. */
static int check_logger(const nlogd_entry *e, void *user)
{
    name_check *c = user;
    size_t l = strlen(e->logger);
    if (e->message_len <= l || memcmp(e->message, e->logger, l) != 0 || e->message[l] != ' ')
        c->wrong++;
    c->n++;
    return 0;
}

static int64_t names_scalar(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return v;
}

/* Names whose records retention deleted are pruned, and their ids are
 * never given to another name (a reader's cached id -> name stays right);
 * more names than the writer's and the readers' caches hold still resolve
 * to the right ids and names. */
static void test_names_pruned_and_bounded(void **state)
{
    (void) state;
    char why[256];
    const char *path = tu_path(tu_scratch("store_names"), "t.db");
    nlogd_store *s = NULL;
    assert_int_equal(nlogd_store_open(path, &s, why, sizeof why), NLOG_OK);
    enum { N = 20000 }; /* more than either cache */
    nlogd_record *recs = calloc(N, sizeof *recs);
    char (*lg)[16] = calloc(N, sizeof *lg), (*msg)[32] = calloc(N, sizeof *msg);
    const int64_t old = T0 - 40 * 24 * HOUR_NS;
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            snprintf(lg[i], sizeof lg[i], "old.%d", i);
            snprintf(msg[i], sizeof msg[i], "%s r%d", lg[i], round);
            recs[i] = mk(old + (int64_t) i * 1000, NLOG_LEVEL_INFO, "gone", lg[i], msg[i]);
        }
        append(s, recs, N, NULL);
    }
    nlogd_record keep = mk(T0, NLOG_LEVEL_INFO, "api", "kept", "kept r0");
    append(s, &keep, 1, NULL);
    nlogd_store_stats st;
    assert_int_equal(nlogd_store_stats_get(s, T0, &st), NLOG_OK);
    assert_int_equal(st.n_loggers_total, N + 1);
    for (size_t i = 0; i < st.n_loggers; i++)
        assert_true(st.loggers[i].n == (strcmp(st.loggers[i].name, "kept") ? 2u : 1u));
    nlogd_store_stats_free(&st);
    name_check c = {0, 0};
    nlogd_filter f;
    memset(&f, 0, sizeof f);
    int more;
    assert_int_equal(nlogd_store_query(s, &f, 0, check_logger, &c, &more), NLOG_OK);
    assert_int_equal(c.n, 2 * N + 1);
    assert_int_equal(c.wrong, 0);
    int64_t max_before = names_scalar(path, "SELECT max(id) FROM names");
    /* Retention deletes the old records; their names go too. */
    do
        assert_int_equal(nlogd_store_maintain(s, T0 - 30 * 24 * HOUR_NS, &more), NLOG_OK);
    while (more);
    /* left: the category api and the logger kept */
    assert_int_equal(names_scalar(path, "SELECT count(*) FROM names"), 2);
    assert_int_equal(nlogd_store_stats_get(s, T0, &st), NLOG_OK);
    assert_int_equal(st.total, 1);
    assert_int_equal(st.n_loggers_total, 1);
    assert_int_equal(st.n_categories, 1);
    nlogd_store_stats_free(&st);
    /* A name seen again gets a new id, after every id given before. */
    nlogd_record again = mk(T0 + 1000, NLOG_LEVEL_INFO, "gone", "old.7", "old.7 again");
    append(s, &again, 1, NULL);
    assert_true(names_scalar(path, "SELECT min(id) FROM names WHERE kind = 1 AND name = 'old.7'") >
                max_before);
    c.n = c.wrong = 0;
    assert_int_equal(nlogd_store_query(s, &f, 0, check_logger, &c, &more), NLOG_OK);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.wrong, 0);
    nlogd_store_close(s);
    free(recs);
    free(lg);
    free(msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_filters_cursor),
        cmocka_unit_test(test_search_indexed_and_pending),
        cmocka_unit_test(test_dedupe_counts_retention),
        cmocka_unit_test(test_queries_while_indexes_lag),
        cmocka_unit_test(test_kill9_while_indexes_lag),
        cmocka_unit_test(test_migrate_legacy_index),
        cmocka_unit_test(test_ties_over_1024),
        cmocka_unit_test(test_ties_over_2_20),
        cmocka_unit_test(test_batch_window),
        cmocka_unit_test(test_names_pruned_and_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
