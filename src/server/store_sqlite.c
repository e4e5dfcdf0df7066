/* store_sqlite.c: the SQLite engine behind store.h.
 *
 * Schema (created on first open; version 4):
 *   entries       one row per record; id INTEGER PRIMARY KEY is the time key
 *                 (timestamp in µs * 1024 + a tie-breaker), so the table itself
 *                 is the time index and "newest first" is a reverse rowid scan;
 *                 it has no SQL index of its own
 *   entries_idx   FTS5, contentless, tokenize=ascii, detail=none: the one
 *                 secondary index. Its document for a row is the message
 *                 followed by three tag words, 0xFF 'l' level, 0xFF 'c'
 *                 category id, 0xFF 'g' logger id (see doc_fn), so level,
 *                 category and logger filters and search_query are all one
 *                 MATCH, newest first through FTS5's rowid order
 *   meta          'tail_from' = T: every row with id >= T is "pending";
 *                 'max_spill' (below); 'name_seq', the next name id
 *   fts_pending   the other pending rows: ids below T stored after the
 *                 indexer had passed them (late timestamps)
 *   names         category and logger names <-> small ids (never reused)
 *   counts        running counts by level, category and logger
 *   batches       batch ids stored within the dedupe window, with the
 *                 digest of their body (a reused id is told from a retry)
 *   watch_positions  where watch.c is in each followed file
 *
 * Ids. A record of microsecond u gets the first free id after every row of
 * microseconds <= u, and at least u * 1024: normally u * 1024 + k for its
 * k-th record. The 1025th record of one microsecond continues after the
 * microsecond's own 1024 ids (it "spills" into the ids of the following
 * microseconds, after any rows already there), so no record is ever refused
 * and ids keep sorting like (microsecond, arrival). Invariant, for every
 * row: u * 1024 <= id <= u * 1024 + 1023 + max_spill, where meta.max_spill
 * is the largest overhang ever written. A time window [a, b] is therefore
 * the id range [floor(a) * 1024, ceil(b) * 1024 + 1023 + max_spill] plus a
 * residual condition on the ts column (which also makes sub-microsecond
 * bounds exact). The writer finds a free id without probing: a small cache
 * of the last id given to each recent microsecond, else one insert at
 * u * 1024 (free in all but the crowded case), else one look-up of the last
 * id of u and, when that id is followed by rows of later microseconds,
 * one scan past them; each costs O(log n), never a walk over the records
 * already stored at that microsecond.
 * What cannot be kept exactly: when a crowded microsecond spills into ids
 * that already hold records of a later microsecond (those arrived first),
 * its further records sort after them: id order is then arrival order
 * within those few microseconds (at most max_spill / 1024 of them). Time
 * windows and cursors stay exact. To make that rare, a microsecond whose
 * first id an earlier spill holds starts SPILL_GAP ids after that spill's
 * last row, so up to 1024 late records of the crowded microsecond still
 * sort before it.
 *
 * Pending rows are not in entries_idx; every other row is. The pending set
 * is {id >= tail_from} + fts_pending, disjoint.
 *
 * Ingest path: one transaction per group of batches: the rows and the
 * counts, nothing else (fts_pending only for a row below tail_from). The
 * index, its segment merges, retention and the dedupe window run in
 * nlogd_store_maintain_ex(), which the writer calls in idle time and, in
 * small slices, under load (queue.c): a slice takes the oldest pending
 * rows, adds them to entries_idx with one INSERT ... SELECT, and moves
 * tail_from past them, in one transaction. Queries read the indexed rows
 * through entries_idx and the pending rows by scanning them (the tail as a
 * rowid range, fts_pending by id) with the same predicates and, for
 * search, the same matcher (search.h), merged by id: results never depend
 * on whether the index has caught up. A row read through the index is
 * checked again against the filter's columns (the residual predicate), so
 * a tag word can only narrow the rows read, never decide a result.
 *
 * Why deferred, and why one FTS5 index: measured with the bench's rows,
 * SQLite spends about 4 us of CPU per row on the table alone and about
 * 12 us with three secondary b-tree indexes (level, category, logger) kept
 * on each insert. Built afterwards in slices of the same rows, the word
 * index cost 3.6 us per row and three WITHOUT ROWID tables of the keys
 * (schema 2 and 3) 5.1 us more; the tag words in the word index add 1.1 us
 * instead (FTS5 appends each word's rowids to a delta-coded list instead of
 * inserting into a b-tree per row), and take about 14 bytes per row.
 *
 * Names. Name ids are handed out from meta.name_seq and never reused, so a
 * reader's cached id -> name stays right after retention deleted a name
 * whose records are all gone. The writer's name -> id map and each reader's
 * id -> name map are bounded caches in front of the names table.
 *
 * Reads: a pool of read connections (WAL: readers never block the writer),
 * at most READERS_MAX kept idle; each query runs in one read transaction,
 * so its streams see one snapshot. Filters with a level threshold run one
 * index range per level and merge them by id in C, so "level >= X, newest
 * first, LIMIT n" reads about n rows per level instead of sorting every match.
 * Tested by: tests/unit/server/test_store.c, tests/unit/server/test_store_queue.c,
 * tests/integration/server/ */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>
#include <nlog/level.h>

#include "server/buf.h"
#include "server/search.h"
#include "server/store.h"

#define ID_SLOTS 1024            /* ids per microsecond before spilling */
#define INDEX_SLICE 20000        /* default rows indexed per maintenance transaction */
#define RETAIN_SLICE 5000        /* default rows deleted per maintenance transaction */
#define BATCH_SLICE 5000         /* batch ids forgotten per maintenance transaction */
#define MERGE_PAGES 400          /* FTS5 merge budget per slice */
#define HIST_SECONDS 3600        /* recent-rate histogram */
#define READERS_MAX 64           /* idle read connections kept */
#define SCHEMA_VERSION 4         /* 1: SQL indexes on entries; 2: ix_* tables, tail_from;
                                    3: max_spill, name_seq, batch digests and window;
                                    4: entries_idx (words and tags) for entries_fts + ix_* */
#define STMT_CACHE 48
#define NAME_CACHE_MAX 16384     /* writer: name -> id entries kept */
#define READER_NAMES_MAX 1024    /* reader: id -> name entries kept */
#define ID_CACHE 256             /* writer: last id of recent microseconds */
#define SPILL_GAP ID_SLOTS       /* ids left after a spill for its late records */

enum { KIND_CATEGORY = 0, KIND_LOGGER = 1 };
enum { COUNT_LEVEL = 0, COUNT_CATEGORY = 1, COUNT_LOGGER = 2 };

/* ---- name -> id cache (writer side) ------------------------------------------- */

typedef struct name_slot {
    char *name; /* NULL = empty */
    int kind;
    int64_t id;
} name_slot;

typedef struct name_map {
    name_slot *slots;
    size_t cap, n;
} name_map;

static uint64_t hash_name(int kind, const char *s)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t) kind;
    for (; *s; s++) {
        h ^= (unsigned char) *s;
        h *= 1099511628211ULL;
    }
    return h;
}

static void map_free(name_map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].name);
    free(m->slots);
    memset(m, 0, sizeof *m);
}

static int map_grow(name_map *m)
{
    name_map nm = {calloc(m->cap ? m->cap * 2 : 256, sizeof(name_slot)), m->cap ? m->cap * 2 : 256,
                   0};
    if (!nm.slots)
        return -1;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].name) {
            size_t j = hash_name(m->slots[i].kind, m->slots[i].name) & (nm.cap - 1);
            while (nm.slots[j].name)
                j = (j + 1) & (nm.cap - 1);
            nm.slots[j] = m->slots[i];
            nm.n++;
        }
    free(m->slots);
    *m = nm;
    return 0;
}

static name_slot *map_find(name_map *m, int kind, const char *name)
{
    if (!m->cap)
        return NULL;
    size_t j = hash_name(kind, name) & (m->cap - 1);
    while (m->slots[j].name) {
        if (m->slots[j].kind == kind && strcmp(m->slots[j].name, name) == 0)
            return &m->slots[j];
        j = (j + 1) & (m->cap - 1);
    }
    return NULL;
}

/* A cache: when full it starts over (the names table has every name). */
static int map_put(name_map *m, int kind, const char *name, int64_t id)
{
    if (m->n >= NAME_CACHE_MAX)
        map_free(m);
    if ((m->n + 1) * 2 > m->cap && map_grow(m) != 0)
        return -1;
    size_t j = hash_name(kind, name) & (m->cap - 1);
    while (m->slots[j].name)
        j = (j + 1) & (m->cap - 1);
    m->slots[j].name = strdup(name);
    if (!m->slots[j].name)
        return -1;
    m->slots[j].kind = kind;
    m->slots[j].id = id;
    m->n++;
    return 0;
}

/* ---- id -> name cache (one per reader) ----------------------------------------- */

typedef struct id_name {
    int64_t id; /* -1 = empty */
    char *name;
} id_name;

typedef struct id_names {
    id_name *slots;
    size_t cap, n;
} id_names;

static void idn_free(id_names *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].name);
    free(m->slots);
    memset(m, 0, sizeof *m);
}

static size_t idn_hash(int64_t id, size_t cap)
{
    return (size_t) (((uint64_t) id * 0x9E3779B97F4A7C15ULL) >> 20) & (cap - 1);
}

static const char *idn_find(const id_names *m, int64_t id)
{
    if (!m->cap)
        return NULL;
    for (size_t j = idn_hash(id, m->cap); m->slots[j].name; j = (j + 1) & (m->cap - 1))
        if (m->slots[j].id == id)
            return m->slots[j].name;
    return NULL;
}

/* Takes `name` (malloc'd) on success; returns it, or NULL (the caller keeps it). */
static const char *idn_put(id_names *m, int64_t id, char *name)
{
    if (m->n >= READER_NAMES_MAX)
        return NULL;
    if (!m->cap) {
        m->cap = 2 * READER_NAMES_MAX;
        m->slots = calloc(m->cap, sizeof *m->slots);
        if (!m->slots) {
            m->cap = 0;
            return NULL;
        }
    }
    size_t j = idn_hash(id, m->cap);
    while (m->slots[j].name)
        j = (j + 1) & (m->cap - 1);
    m->slots[j].id = id;
    m->slots[j].name = name;
    m->n++;
    return name;
}

/* ---- reader connections ---------------------------------------------------- */

typedef struct stmt_slot {
    char *sql;
    int slot;
    int busy;                       /* a stream of the running query uses it */
    sqlite3_stmt *st;
} stmt_slot;

typedef struct reader {
    sqlite3 *db;
    stmt_slot cache[STMT_CACHE];
    unsigned next_evict;
    sqlite3_stmt *name_by_id, *id_by_name, *meta; /* outside the cache: used mid-query */
    id_names names;
    char *scratch[2];               /* names not cached (cache full): valid until the next */
    struct reader *next;
} reader;

typedef struct id_memo {
    int64_t us;                     /* INT64_MIN = empty */
    int64_t last;                   /* the last id given to a record of microsecond us */
} id_memo;

struct nlogd_store {
    char path[1024];
    sqlite3 *w;                     /* the writer's connection */
    sqlite3_stmt *ins_entry, *ins_pending, *ins_batch, *get_batch, *ins_name, *get_name,
        *upd_count, *ins_watch, *last_of, *next_free, *set_meta;
    name_map names;
    int64_t tail_from;              /* writer's copy of meta.tail_from */
    int64_t max_spill;              /* writer's copy of meta.max_spill */
    int64_t name_seq;               /* writer's copy of meta.name_seq */
    int64_t max_id;                 /* the largest id stored (INT64_MIN: none) */
    id_memo memo[ID_CACHE];
    uint64_t probes;                /* id look-ups beyond the first choice (tests) */
    uint64_t fts_lag;               /* atomic: pending rows (not in the indexes) */
    int merging;                    /* atomic: entries_idx may have segments to merge */
    int failed;                     /* atomic: the last append failed */
    int64_t clock_ns;               /* tests: the wall clock, 0 = real */
    int64_t started_ns;             /* when this process opened the store */
    int64_t last_before_ns;         /* the last batch stored before that (dedupe window) */

    pthread_mutex_t rlock;          /* guards the idle reader pool */
    reader *idle;
    int n_idle;

    pthread_mutex_t hlock;          /* guards the histogram */
    int64_t hist_sec[HIST_SECONDS];
    uint64_t hist_n[HIST_SECONDS];
    uint64_t hist_hi[HIST_SECONDS];  /* of hist_n: levels above CRITICAL (a viewer's bound) */
};

static int step_done(sqlite3_stmt *st);

static int exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static int prep(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
    return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int64_t id_floor(int64_t ts_ns)
{
    return floor_div(ts_ns, 1000) * ID_SLOTS;
}

static int64_t id_ceil(int64_t ts_ns)
{
    return floor_div(ts_ns, 1000) * ID_SLOTS + (ID_SLOTS - 1);
}

static int64_t sat_add(int64_t a, int64_t b) /* b >= 0 */
{
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

static int64_t now_real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t store_now(const nlogd_store *s)
{
    return s->clock_ns ? s->clock_ns : now_real_ns();
}

static void hist_add(nlogd_store *s, int64_t ts_ns, uint64_t n, uint64_t hi, int64_t now_s)
{
    int64_t sec = floor_div(ts_ns, 1000000000LL);
    if (sec <= now_s - HIST_SECONDS || sec > now_s + 60)
        return;
    size_t slot = (size_t) (((sec % HIST_SECONDS) + HIST_SECONDS) % HIST_SECONDS);
    if (s->hist_sec[slot] != sec) {
        s->hist_sec[slot] = sec;
        s->hist_n[slot] = 0;
        s->hist_hi[slot] = 0;
    }
    s->hist_n[slot] += n;
    s->hist_hi[slot] += hi;
}

/* The matcher for not-yet-indexed rows: nlogd_match(message, query). The
 * compiled query is cached per statement with the auxdata API. */
static void match_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void) argc;
    nlogd_search *q = sqlite3_get_auxdata(ctx, 1);
    if (!q) {
        const char *text = (const char *) sqlite3_value_text(argv[1]);
        int len = sqlite3_value_bytes(argv[1]);
        char why[128];
        q = malloc(sizeof *q);
        if (!q || !text || nlogd_search_compile(text, (size_t) len, q, why, sizeof why) != 0) {
            free(q);
            sqlite3_result_int(ctx, 0);
            return;
        }
        sqlite3_set_auxdata(ctx, 1, q, free);
        q = sqlite3_get_auxdata(ctx, 1);
        if (!q) {
            sqlite3_result_int(ctx, 0);
            return;
        }
    }
    const char *m = (const char *) sqlite3_value_blob(argv[0]);
    int ml = sqlite3_value_bytes(argv[0]);
    sqlite3_result_int(ctx, m ? nlogd_search_match(q, m, (size_t) ml) : 0);
}

/* Tag words. 0xFF never occurs in UTF-8, and doc_fn turns a stray 0xFF of
 * a message into 0xFE, so no message word starts like a tag word; the
 * search compiler refuses both bytes in query words (search.h). FTS5's
 * ascii tokenizer keeps bytes >= 0x80 inside words, so a tag is one word. */
#define TAG_BYTE '\xff'
enum { TAG_LEVEL = 'l', TAG_CATEGORY = 'c', TAG_LOGGER = 'g' };

/* out must hold 23 bytes; returns the length (no snprintf: the writer
 * formats three of these per indexed row). */
static int tag_word(char *out, size_t size, int kind, int64_t v)
{
    char digits[20];
    unsigned long long u = (unsigned long long) v;
    int nd = 0;
    do {
        digits[nd++] = (char) ('0' + u % 10);
        u /= 10;
    } while (u);
    if (size < (size_t) nd + 3)
        return 0;
    out[0] = TAG_BYTE;
    out[1] = (char) kind;
    for (int i = 0; i < nd; i++)
        out[2 + i] = digits[nd - 1 - i];
    out[2 + nd] = '\0';
    return 2 + nd;
}

/* nlogd_doc(message, level, category, logger): the document entries_idx
 * indexes for a row. Deterministic: retention deletes a row's words by
 * giving FTS5 the same document again. Writer connection only. */
static void doc_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void) argc;
    const unsigned char *m = sqlite3_value_text(argv[0]);
    size_t ml = (size_t) sqlite3_value_bytes(argv[0]);
    char tags[3][24];
    int tl[3];
    tl[0] = tag_word(tags[0], sizeof tags[0], TAG_LEVEL, sqlite3_value_int64(argv[1]));
    tl[1] = tag_word(tags[1], sizeof tags[1], TAG_CATEGORY,
                     sqlite3_value_int64(argv[2]));
    tl[2] = tag_word(tags[2], sizeof tags[2], TAG_LOGGER, sqlite3_value_int64(argv[3]));
    size_t n = ml + 3 + (size_t) tl[0] + (size_t) tl[1] + (size_t) tl[2];
    char *d = sqlite3_malloc64(n + 1);
    if (!d) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    size_t o = 0;
    for (size_t i = 0; i < ml; i++)
        d[o++] = m[i] == 0xff ? (char) 0xfe : (char) m[i];
    for (int k = 0; k < 3; k++) {
        d[o++] = ' ';
        memcpy(d + o, tags[k], (size_t) tl[k]);
        o += (size_t) tl[k];
    }
    d[o] = '\0';
    sqlite3_result_text64(ctx, d, o, sqlite3_free, SQLITE_UTF8);
}

static int open_conn(const char *path, sqlite3 **ret, int cache_kib)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        sqlite3_close(db);
        return rc;
    }
    char sql[128];
    sqlite3_busy_timeout(db, 10000);
    snprintf(sql, sizeof sql, "PRAGMA cache_size=-%d", cache_kib);
    exec(db, sql);
    exec(db, "PRAGMA temp_store=MEMORY");
    exec(db, "PRAGMA mmap_size=268435456");
    sqlite3_create_function(db, "nlogd_match", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                            match_fn, NULL, NULL);
    *ret = db;
    return SQLITE_OK;
}

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS entries("
    " id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, level INTEGER NOT NULL,"
    " category INTEGER NOT NULL, logger INTEGER NOT NULL, message TEXT NOT NULL,"
    " function TEXT, line INTEGER, pid INTEGER, tid INTEGER,"
    " context TEXT, metadata TEXT, perf TEXT, extra TEXT);"
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER) WITHOUT ROWID;"
    "CREATE VIRTUAL TABLE IF NOT EXISTS entries_idx USING fts5(doc, content='',"
    " tokenize='ascii', detail='none', columnsize=0);"
    "CREATE TABLE IF NOT EXISTS fts_pending(id INTEGER PRIMARY KEY);"
    "CREATE TABLE IF NOT EXISTS names(id INTEGER PRIMARY KEY, kind INTEGER NOT NULL,"
    " name TEXT NOT NULL, UNIQUE(kind, name));"
    "CREATE TABLE IF NOT EXISTS counts(kind INTEGER, key INTEGER, n INTEGER NOT NULL,"
    " PRIMARY KEY(kind, key)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS batches(batch_id TEXT PRIMARY KEY, received INTEGER,"
    " accepted INTEGER, rejected INTEGER, digest INTEGER) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS watch_positions(path TEXT PRIMARY KEY, dev INTEGER,"
    " ino INTEGER, offset INTEGER) WITHOUT ROWID;";

static int64_t scalar(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void load_hist(nlogd_store *s)
{
    int64_t now_s = store_now(s) / 1000000000LL;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->w,
                           "SELECT ts / 1000000000, count(*), sum(level > ?2) FROM entries "
                           "WHERE id >= ?1 GROUP BY 1",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_int64(st, 1, id_floor((now_s - HIST_SECONDS) * 1000000000LL));
    sqlite3_bind_int(st, 2, NLOG_LEVEL_CRITICAL);
    while (sqlite3_step(st) == SQLITE_ROW)
        hist_add(s, sqlite3_column_int64(st, 0) * 1000000000LL,
                 (uint64_t) sqlite3_column_int64(st, 1), (uint64_t) sqlite3_column_int64(st, 2),
                 now_s);
    sqlite3_finalize(st);
}

/* Schemas 1 to 3 kept the word index in entries_fts (external content) and
 * the level, category and logger keys in SQL indexes on entries (schema 1)
 * or in the ix_* tables (2 and 3). Inside the opening transaction: drop
 * them and make every row pending, so the maintenance slices build
 * entries_idx for the whole store (about 200,000 rows/s when idle) while
 * queries read the rows by scanning them, with the same results. */
static int migrate_index(nlogd_store *s)
{
    static const char *const legacy[][2] = {
        {"index", "entries_level"}, {"index", "entries_category"}, {"index", "entries_logger"},
        {"table", "ix_level"},      {"table", "ix_category"},      {"table", "ix_logger"},
        {"table", "entries_fts"},
    };
    int rc = SQLITE_OK, dropped = 0;
    for (size_t i = 0; i < sizeof legacy / sizeof legacy[0] && rc == SQLITE_OK; i++) {
        char sql[96];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM sqlite_master WHERE type = '%s' AND name = '%s'",
                 legacy[i][0], legacy[i][1]);
        if (scalar(s->w, sql) == 0)
            continue;
        snprintf(sql, sizeof sql, "DROP %s %s", legacy[i][0], legacy[i][1]);
        rc = exec(s->w, sql);
        dropped = 1;
    }
    if (rc == SQLITE_OK && dropped)
        rc = exec(s->w, "INSERT INTO entries_idx(entries_idx) VALUES('delete-all');"
                        " DELETE FROM fts_pending;"
                        " INSERT OR REPLACE INTO meta(key, value)"
                        " VALUES('tail_from', -9223372036854775808)");
    return rc;
}

/* Schema 2 -> 3, inside the opening transaction: batch digests and the
 * index that forgets old batch ids; name_seq after the largest name id; and
 * max_spill as the rows show it (stores of schema 2 and earlier probed for
 * the next free id, so a crowded microsecond may have spilled already):
 * one pass over the table, seconds for 10,000,000 rows, once. */
static int migrate_v2(nlogd_store *s)
{
    int rc = SQLITE_OK;
    if (scalar(s->w, "SELECT count(*) FROM pragma_table_info('batches') WHERE name = 'digest'") ==
        0)
        rc = exec(s->w, "ALTER TABLE batches ADD COLUMN digest INTEGER");
    if (rc == SQLITE_OK && scalar(s->w, "SELECT count(*) FROM meta WHERE key = 'max_spill'") == 0)
        rc = exec(s->w,
                  "INSERT INTO meta(key, value) SELECT 'max_spill', max(0, coalesce(max(id -"
                  " ((ts - (((ts % 1000) + 1000) % 1000)) / 1000 * 1024 + 1023)), 0))"
                  " FROM entries");
    if (rc == SQLITE_OK)
        rc = exec(s->w, "INSERT OR IGNORE INTO meta(key, value) SELECT 'name_seq',"
                        " coalesce(max(id), 0) + 1 FROM names");
    return rc;
}

static int set_schema(nlogd_store *s)
{
    char sql[96];
    snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO meta(key, value) VALUES('schema', %d)",
             SCHEMA_VERSION);
    return exec(s->w, sql);
}

static int64_t meta_get(sqlite3 *db, const char *key)
{
    sqlite3_stmt *st;
    int64_t v = 0;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

static void memo_clear(nlogd_store *s)
{
    for (size_t i = 0; i < ID_CACHE; i++)
        s->memo[i].us = INT64_MIN;
}

/* The writer's copies of the meta values and of the largest id. */
static void load_writer_state(nlogd_store *s)
{
    s->tail_from = meta_get(s->w, "tail_from");
    s->max_spill = meta_get(s->w, "max_spill");
    s->name_seq = meta_get(s->w, "name_seq");
    sqlite3_stmt *st;
    s->max_id = INT64_MIN;
    if (sqlite3_prepare_v2(s->w, "SELECT max(id) FROM entries", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        s->max_id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    memo_clear(s);
}

nlog_status nlogd_store_open(const char *path, nlogd_store **ret_store, char *why,
                             size_t why_size)
{
    nlogd_store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(why, why_size, "out of memory");
        return NLOG_ENOMEM;
    }
    snprintf(s->path, sizeof s->path, "%s", path);
    pthread_mutex_init(&s->rlock, NULL);
    pthread_mutex_init(&s->hlock, NULL);
    int rc = open_conn(path, &s->w, 131072);
    if (rc != SQLITE_OK) {
        snprintf(why, why_size, "cannot open the store %s: %s", path, sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_create_function(s->w, "nlogd_doc", 4, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                            doc_fn, NULL, NULL);
    exec(s->w, "PRAGMA page_size=8192");
    sqlite3_stmt *jm;
    if (sqlite3_prepare_v2(s->w, "PRAGMA journal_mode=WAL", -1, &jm, NULL) != SQLITE_OK ||
        sqlite3_step(jm) != SQLITE_ROW ||
        strcmp((const char *) sqlite3_column_text(jm, 0), "wal") != 0) {
        snprintf(why, why_size, "cannot use %s: %s", path, sqlite3_errmsg(s->w));
        sqlite3_finalize(jm);
        goto fail;
    }
    sqlite3_finalize(jm);
    exec(s->w, "PRAGMA synchronous=NORMAL");
    exec(s->w, "PRAGMA wal_autocheckpoint=8192");
    if (exec(s->w, "BEGIN IMMEDIATE") != SQLITE_OK || exec(s->w, schema) != SQLITE_OK ||
        exec(s->w, "INSERT OR IGNORE INTO meta(key, value) VALUES('tail_from',"
                   " -9223372036854775808)") != SQLITE_OK ||
        migrate_v2(s) != SQLITE_OK || migrate_index(s) != SQLITE_OK ||
        exec(s->w, "CREATE INDEX IF NOT EXISTS batches_received ON batches(received)") !=
            SQLITE_OK ||
        set_schema(s) != SQLITE_OK ||
        exec(s->w, "COMMIT") != SQLITE_OK) {
        snprintf(why, why_size, "cannot create the tables in %s: %s", path, sqlite3_errmsg(s->w));
        exec(s->w, "ROLLBACK");
        goto fail;
    }
    load_writer_state(s);
    s->started_ns = now_real_ns();
    s->last_before_ns = scalar(s->w, "SELECT coalesce(max(received), 0) FROM batches");
    if (s->last_before_ns <= 0 || s->last_before_ns > s->started_ns)
        s->last_before_ns = s->started_ns;
    /* Merges only when the writer is idle (maintain); a crisis merge only
     * for a pathological segment count. */
    exec(s->w, "INSERT INTO entries_idx(entries_idx, rank) VALUES('automerge', 0)");
    exec(s->w, "INSERT INTO entries_idx(entries_idx, rank) VALUES('crisismerge', 64)");
    if (prep(s->w,
             "INSERT INTO entries(id, ts, level, category, logger, message, function, line, pid,"
             " tid, context, metadata, perf, extra) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
             &s->ins_entry) != SQLITE_OK ||
        prep(s->w, "INSERT INTO fts_pending(id) VALUES(?)", &s->ins_pending) != SQLITE_OK ||
        prep(s->w,
             "INSERT OR IGNORE INTO batches(batch_id, received, accepted, rejected, digest)"
             " VALUES(?,?,?,?,?)",
             &s->ins_batch) != SQLITE_OK ||
        prep(s->w, "SELECT accepted, digest FROM batches WHERE batch_id = ?", &s->get_batch) !=
            SQLITE_OK ||
        prep(s->w, "INSERT INTO names(id, kind, name) VALUES(?,?,?)", &s->ins_name) != SQLITE_OK ||
        prep(s->w, "SELECT id FROM names WHERE kind = ? AND name = ?", &s->get_name) !=
            SQLITE_OK ||
        prep(s->w,
             "INSERT INTO counts(kind, key, n) VALUES(?,?,?) ON CONFLICT(kind, key) DO UPDATE"
             " SET n = n + excluded.n",
             &s->upd_count) != SQLITE_OK ||
        prep(s->w,
             "INSERT OR REPLACE INTO watch_positions(path, dev, ino, offset) VALUES(?,?,?,?)",
             &s->ins_watch) != SQLITE_OK ||
        /* ?1..?2: the ids a row of microsecond ?3 may hold; the first row
         * from the top that belongs to a microsecond <= ?3 is its last. */
        prep(s->w,
             "SELECT id, ts FROM entries WHERE id BETWEEN ?1 AND ?2 AND"
             " ts < (?3 + 1) * 1000 ORDER BY id DESC LIMIT 1",
             &s->last_of) != SQLITE_OK ||
        /* The first id >= ?1 that is free: the end of the run of taken ids. */
        prep(s->w,
             "SELECT e.id + 1 FROM entries e WHERE e.id >= ?1 AND NOT EXISTS"
             " (SELECT 1 FROM entries f WHERE f.id = e.id + 1) ORDER BY e.id LIMIT 1",
             &s->next_free) != SQLITE_OK ||
        prep(s->w, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", &s->set_meta) !=
            SQLITE_OK) {
        snprintf(why, why_size, "cannot prepare statements on %s: %s", path, sqlite3_errmsg(s->w));
        goto fail;
    }
    s->merging = 1; /* until a merge step finds nothing to do */
    s->fts_lag = (uint64_t) scalar(s->w, "SELECT count(*) FROM fts_pending");
    {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(s->w, "SELECT count(*) FROM entries WHERE id >= ?", -1, &st,
                               NULL) == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, s->tail_from);
            if (sqlite3_step(st) == SQLITE_ROW)
                s->fts_lag += (uint64_t) sqlite3_column_int64(st, 0);
        }
        sqlite3_finalize(st);
    }
    load_hist(s);
    *ret_store = s;
    return NLOG_OK;
fail:
    nlogd_store_close(s);
    return NLOG_EIO;
}

static void reader_free(reader *r)
{
    for (size_t i = 0; i < STMT_CACHE; i++) {
        sqlite3_finalize(r->cache[i].st);
        free(r->cache[i].sql);
    }
    sqlite3_finalize(r->name_by_id);
    sqlite3_finalize(r->id_by_name);
    sqlite3_finalize(r->meta);
    idn_free(&r->names);
    free(r->scratch[0]);
    free(r->scratch[1]);
    sqlite3_close(r->db);
    free(r);
}

void nlogd_store_close(nlogd_store *s)
{
    if (!s)
        return;
    while (s->idle) {
        reader *r = s->idle;
        s->idle = r->next;
        reader_free(r);
    }
    sqlite3_stmt *sts[] = {s->ins_entry, s->ins_pending, s->ins_batch, s->get_batch,
                           s->ins_name,  s->get_name,    s->upd_count, s->ins_watch,
                           s->last_of,   s->next_free,   s->set_meta};
    for (size_t i = 0; i < sizeof sts / sizeof sts[0]; i++)
        sqlite3_finalize(sts[i]);
    if (s->w) {
        exec(s->w, "PRAGMA wal_checkpoint(TRUNCATE)");
        sqlite3_close(s->w);
    }
    map_free(&s->names);
    pthread_mutex_destroy(&s->rlock);
    pthread_mutex_destroy(&s->hlock);
    free(s);
}

int nlogd_store_ok(nlogd_store *s)
{
    return !__atomic_load_n(&s->failed, __ATOMIC_RELAXED);
}

int nlogd_store_index_merging(nlogd_store *s)
{
    return __atomic_load_n(&s->merging, __ATOMIC_RELAXED);
}

uint64_t nlogd_store_fts_lag(nlogd_store *s)
{
    return __atomic_load_n(&s->fts_lag, __ATOMIC_RELAXED);
}

uint64_t nlogd__store_id_probes(nlogd_store *s)
{
    return s->probes;
}

void nlogd__store_set_clock(nlogd_store *s, int64_t now_ns, int64_t started_ns)
{
    s->clock_ns = now_ns;
    if (started_ns)
        s->started_ns = started_ns;
    if (s->last_before_ns > s->started_ns)
        s->last_before_ns = s->started_ns;
}

/* ---- append ---------------------------------------------------------------- */

static int name_id(nlogd_store *s, int kind, const char *name, int64_t *ret)
{
    name_slot *sl = map_find(&s->names, kind, name);
    if (sl) {
        *ret = sl->id;
        return SQLITE_OK;
    }
    sqlite3_bind_int(s->get_name, 1, kind);
    sqlite3_bind_text(s->get_name, 2, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s->get_name);
    int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(s->get_name, 0) : 0;
    sqlite3_reset(s->get_name);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return rc;
    if (rc == SQLITE_DONE) { /* a new name: the next id, never one used before */
        id = s->name_seq++;
        sqlite3_bind_int64(s->ins_name, 1, id);
        sqlite3_bind_int(s->ins_name, 2, kind);
        sqlite3_bind_text(s->ins_name, 3, name, -1, SQLITE_STATIC);
        rc = sqlite3_step(s->ins_name);
        sqlite3_reset(s->ins_name);
        if (rc != SQLITE_DONE)
            return rc;
    }
    *ret = id;
    return map_put(&s->names, kind, name, id) == 0 ? SQLITE_OK : SQLITE_NOMEM;
}

static void bind_opt_text(sqlite3_stmt *st, int i, const char *t)
{
    if (t)
        sqlite3_bind_text(st, i, t, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void bind_opt_int(sqlite3_stmt *st, int i, int64_t v)
{
    if (v >= 0)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

/* Counts of one transaction, applied to `counts` before the commit. */
typedef struct tally {
    uint64_t level[8];
    struct { int64_t id; uint64_t n; } *names;
    size_t n, cap;
} tally;

static int tally_name(tally *t, int64_t id)
{
    for (size_t i = t->n; i > 0; i--) /* recent names first: batches repeat them */
        if (t->names[i - 1].id == id) {
            t->names[i - 1].n++;
            return SQLITE_OK;
        }
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 64;
        void *p = realloc(t->names, nc * sizeof *t->names);
        if (!p)
            return SQLITE_NOMEM; /* the transaction fails rather than keep a wrong count */
        t->names = p;
        t->cap = nc;
    }
    t->names[t->n].id = id;
    t->names[t->n].n = 1;
    t->n++;
    return SQLITE_OK;
}

static int count_add(nlogd_store *s, int kind, int64_t key, int64_t n)
{
    sqlite3_bind_int(s->upd_count, 1, kind);
    sqlite3_bind_int64(s->upd_count, 2, key);
    sqlite3_bind_int64(s->upd_count, 3, n);
    int rc = sqlite3_step(s->upd_count);
    sqlite3_reset(s->upd_count);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static id_memo *memo_of(nlogd_store *s, int64_t us)
{
    return &s->memo[((uint64_t) us * 0x9E3779B97F4A7C15ULL) >> 56];
}

/* The id after the last row of microsecond `us` or earlier (the first id a
 * new record of `us` may take without sorting before any of them). When
 * that row belongs to an earlier microsecond (its spill holds our first id
 * and we have no row yet), SPILL_GAP ids are left free after it, so that
 * microsecond's records arriving later still sort before ours. */
static int id_after_last(nlogd_store *s, int64_t us, int64_t *ret)
{
    int64_t base = us * ID_SLOTS;
    sqlite3_bind_int64(s->last_of, 1, base);
    sqlite3_bind_int64(s->last_of, 2, sat_add(base + ID_SLOTS - 1, s->max_spill));
    sqlite3_bind_int64(s->last_of, 3, us);
    int rc = sqlite3_step(s->last_of);
    *ret = base;
    if (rc == SQLITE_ROW) {
        *ret = sqlite3_column_int64(s->last_of, 0) + 1;
        if (floor_div(sqlite3_column_int64(s->last_of, 1), 1000) < us)
            *ret += SPILL_GAP;
    }
    sqlite3_reset(s->last_of);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The first free id after `taken` (which is taken). */
static int id_next_free(nlogd_store *s, int64_t taken, int64_t *ret)
{
    sqlite3_bind_int64(s->next_free, 1, taken);
    int rc = sqlite3_step(s->next_free);
    *ret = rc == SQLITE_ROW ? sqlite3_column_int64(s->next_free, 0) : taken + 1;
    sqlite3_reset(s->next_free);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int insert_at(sqlite3_stmt *st, int64_t id)
{
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc;
}

/* Inserts one record with the id rule of the file comment: the memo's next
 * id for its microsecond, or the microsecond's first id; on a collision the
 * id after the microsecond's last row; on a second collision (rows of later
 * microseconds hold that id) the first free id after them. */
static int insert_record(nlogd_store *s, const nlogd_record *r, int64_t cat, int64_t lg,
                         int64_t *ret_id)
{
    sqlite3_stmt *st = s->ins_entry;
    int64_t us = floor_div(r->ts_ns, 1000);
    id_memo *m = memo_of(s, us);
    int from_memo = m->us == us;
    int64_t id = from_memo ? m->last + 1 : us * ID_SLOTS;
    sqlite3_bind_int64(st, 2, r->ts_ns);
    sqlite3_bind_int(st, 3, r->level);
    sqlite3_bind_int64(st, 4, cat);
    sqlite3_bind_int64(st, 5, lg);
    sqlite3_bind_text(st, 6, r->message, (int) r->message_len, SQLITE_STATIC);
    bind_opt_text(st, 7, r->function);
    bind_opt_int(st, 8, r->line);
    bind_opt_int(st, 9, r->pid);
    bind_opt_int(st, 10, r->tid);
    bind_opt_text(st, 11, r->context);
    bind_opt_text(st, 12, r->metadata);
    bind_opt_text(st, 13, r->perf);
    bind_opt_text(st, 14, r->extra);
    int rc = insert_at(st, id);
    if (rc == SQLITE_CONSTRAINT && !from_memo) {
        s->probes++;
        if ((rc = id_after_last(s, us, &id)) == SQLITE_OK)
            rc = insert_at(st, id);
    }
    if (rc == SQLITE_CONSTRAINT) { /* rows of later microseconds hold it */
        s->probes++;
        if ((rc = id_next_free(s, id, &id)) == SQLITE_OK)
            rc = insert_at(st, id);
        if (rc == SQLITE_CONSTRAINT)
            rc = SQLITE_CORRUPT; /* a free id was just found taken */
    }
    if (rc != SQLITE_DONE)
        return rc;
    m->us = us;
    m->last = id;
    if (id > s->max_id)
        s->max_id = id;
    int64_t spill = id - (us * ID_SLOTS + ID_SLOTS - 1);
    if (spill > s->max_spill)
        s->max_spill = spill;
    *ret_id = id;
    if (id >= s->tail_from)
        return SQLITE_OK; /* in the pending tail: nothing else to write now */
    sqlite3_bind_int64(s->ins_pending, 1, id);
    rc = sqlite3_step(s->ins_pending);
    sqlite3_reset(s->ins_pending);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The batch-id row of b (accepted = b->n), or, when the id was stored
 * before, b->duplicate or b->conflict with the first delivery's count. */
static int batch_head(nlogd_store *s, nlogd_batch *b, int64_t now)
{
    int rc;
    b->duplicate = 0;
    b->conflict = 0;
    if (!b->batch_id[0])
        return SQLITE_OK;
    sqlite3_bind_text(s->ins_batch, 1, b->batch_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s->ins_batch, 2, now);
    sqlite3_bind_int64(s->ins_batch, 3, (int64_t) b->n);
    sqlite3_bind_int64(s->ins_batch, 4, (int64_t) b->rejected);
    if (b->digest)
        sqlite3_bind_int64(s->ins_batch, 5, (int64_t) b->digest);
    else
        sqlite3_bind_null(s->ins_batch, 5);
    rc = sqlite3_step(s->ins_batch);
    sqlite3_reset(s->ins_batch);
    if (rc != SQLITE_DONE)
        return rc;
    if (sqlite3_changes(s->w) == 0) {
        sqlite3_bind_text(s->get_batch, 1, b->batch_id, -1, SQLITE_STATIC);
        if (sqlite3_step(s->get_batch) == SQLITE_ROW) {
            b->orig_accepted = (size_t) sqlite3_column_int64(s->get_batch, 0);
            /* A retry carries the same body; another body under the same
             * id is a client reusing ids: refused, not silently dropped. */
            if (b->digest && sqlite3_column_type(s->get_batch, 1) != SQLITE_NULL &&
                (uint64_t) sqlite3_column_int64(s->get_batch, 1) != b->digest)
                b->conflict = 1;
        }
        sqlite3_reset(s->get_batch);
        b->duplicate = !b->conflict;
    }
    return SQLITE_OK;
}

static int insert_records(nlogd_store *s, nlogd_record *recs, size_t n, tally *t)
{
    int rc;
    int64_t id = 0;
    for (size_t i = 0; i < n; i++) {
        const nlogd_record *r = &recs[i];
        int64_t cat, lg;
        if ((rc = name_id(s, KIND_CATEGORY, r->category, &cat)) != SQLITE_OK ||
            (rc = name_id(s, KIND_LOGGER, r->logger, &lg)) != SQLITE_OK ||
            (rc = insert_record(s, r, cat, lg, &id)) != SQLITE_OK)
            return rc;
        recs[i].id = id; /* for the live stream (queue hook) */
        int li = nlog_level_index((nlog_level) r->level);
        if (li >= 0)
            t->level[li]++;
        if ((rc = tally_name(t, cat)) != SQLITE_OK || (rc = tally_name(t, lg)) != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

static int append_batch(nlogd_store *s, nlogd_batch *b, tally *t, int64_t now)
{
    int rc = batch_head(s, b, now);
    if (rc != SQLITE_OK || b->duplicate || b->conflict)
        return rc;
    if ((rc = insert_records(s, b->recs, b->n, t)) != SQLITE_OK)
        return rc;
    if (b->watch_path) {
        sqlite3_bind_text(s->ins_watch, 1, b->watch_path, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s->ins_watch, 2, (int64_t) b->watch_dev);
        sqlite3_bind_int64(s->ins_watch, 3, (int64_t) b->watch_ino);
        sqlite3_bind_int64(s->ins_watch, 4, b->watch_offset);
        rc = sqlite3_step(s->ins_watch);
        sqlite3_reset(s->ins_watch);
        if (rc != SQLITE_DONE)
            return rc;
    }
    return SQLITE_OK;
}

static int set_meta(nlogd_store *s, const char *key, int64_t v)
{
    sqlite3_bind_text(s->set_meta, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s->set_meta, 2, v);
    int rc = sqlite3_step(s->set_meta);
    sqlite3_reset(s->set_meta);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* One write transaction of the ingest path: what it adds to the counts,
 * and the writer state to restore if it rolls back. */
struct nlogd_store_txn {
    nlogd_store *s;
    tally t;
    int64_t now, spill0, seq0, max0;
    nlogd_batch *stream;   /* the batch whose records arrive in parts, or NULL */
    size_t stream_n;       /* records stored for it so far */
};

static int txn_begin(nlogd_store *s, nlogd_store_txn *x)
{
    memset(x, 0, sizeof *x);
    x->s = s;
    x->now = store_now(s);
    x->spill0 = s->max_spill;
    x->seq0 = s->name_seq;
    x->max0 = s->max_id;
    return exec(s->w, "BEGIN IMMEDIATE");
}

static void txn_rollback(nlogd_store_txn *x)
{
    nlogd_store *s = x->s;
    exec(s->w, "ROLLBACK");
    /* What the rolled-back transaction added is gone: names, ids. */
    map_free(&s->names);
    memo_clear(s);
    s->max_spill = x->spill0;
    s->name_seq = x->seq0;
    s->max_id = x->max0;
}

/* The counts and the bounds, then COMMIT; on failure (rc or the commit)
 * ROLLBACK and the writer's caches back to what the store holds. */
static nlog_status txn_end(nlogd_store_txn *x, int rc)
{
    nlogd_store *s = x->s;
    tally *t = &x->t;
    for (int l = 0; l < 8 && rc == SQLITE_OK; l++)
        if (t->level[l])
            rc = count_add(s, COUNT_LEVEL, nlog_level_from_index(l), (int64_t) t->level[l]);
    for (size_t i = 0; i < t->n && rc == SQLITE_OK; i++)
        rc = count_add(s, COUNT_CATEGORY, t->names[i].id, (int64_t) t->names[i].n);
    /* The bound queries rely on is written with the rows that need it. */
    if (rc == SQLITE_OK && s->max_spill != x->spill0)
        rc = set_meta(s, "max_spill", s->max_spill);
    if (rc == SQLITE_OK && s->name_seq != x->seq0)
        rc = set_meta(s, "name_seq", s->name_seq);
    if (rc == SQLITE_OK)
        rc = exec(s->w, "COMMIT");
    free(t->names);
    t->names = NULL;
    if (rc != SQLITE_OK) {
        txn_rollback(x);
        return NLOG_EIO;
    }
    return NLOG_OK;
}

/* After a commit: the recent-rate histogram and the pending count. */
static void committed(nlogd_store *s, const nlogd_record *recs, size_t n, int64_t now)
{
    int64_t now_s = now / 1000000000LL;
    pthread_mutex_lock(&s->hlock);
    for (size_t k = 0; k < n; k++)
        hist_add(s, recs[k].ts_ns, 1, recs[k].level > NLOG_LEVEL_CRITICAL, now_s);
    pthread_mutex_unlock(&s->hlock);
    __atomic_fetch_add(&s->fts_lag, (uint64_t) n, __ATOMIC_RELAXED);
}

nlog_status nlogd_store_append(nlogd_store *s, nlogd_batch *const *batches, size_t n)
{
    nlogd_store_txn x;
    int rc = txn_begin(s, &x);
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++)
        rc = append_batch(s, batches[i], &x.t, x.now);
    if (txn_end(&x, rc) != NLOG_OK) {
        __atomic_store_n(&s->failed, 1, __ATOMIC_RELAXED);
        for (size_t i = 0; i < n; i++)
            batches[i]->status = NLOG_EIO;
        return NLOG_EIO;
    }
    __atomic_store_n(&s->failed, 0, __ATOMIC_RELAXED);
    for (size_t i = 0; i < n; i++) {
        batches[i]->status = NLOG_OK;
        if (!batches[i]->duplicate && !batches[i]->conflict)
            committed(s, batches[i]->recs, batches[i]->n, x.now);
    }
    return NLOG_OK;
}

nlog_status nlogd_store_stream_begin(nlogd_store *s, nlogd_batch *b, nlogd_store_txn **ret)
{
    nlogd_store_txn *x = malloc(sizeof *x);
    if (!x)
        return NLOG_ENOMEM;
    size_t n = b->n;
    b->n = 0; /* the batch-id row counts the records at the end */
    int rc = txn_begin(s, x);
    if (rc == SQLITE_OK)
        rc = batch_head(s, b, x->now);
    b->n = n;
    x->stream = b;
    *ret = x;
    if (rc != SQLITE_OK) {
        (void) txn_end(x, rc);
        x->stream = NULL; /* ended: add and end only report the failure */
        __atomic_store_n(&s->failed, 1, __ATOMIC_RELAXED);
        return NLOG_EIO;
    }
    return NLOG_OK;
}

nlog_status nlogd_store_stream_add(nlogd_store_txn *x, nlogd_record *recs, size_t n)
{
    if (!x->stream)
        return NLOG_EIO;
    if (x->stream->duplicate || x->stream->conflict)
        return NLOG_OK; /* stored before: nothing of it is stored again */
    int rc = insert_records(x->s, recs, n, &x->t);
    if (rc != SQLITE_OK) {
        (void) txn_end(x, rc);
        x->stream = NULL;
        __atomic_store_n(&x->s->failed, 1, __ATOMIC_RELAXED);
        return NLOG_EIO;
    }
    x->stream_n += n;
    return NLOG_OK;
}

nlog_status nlogd_store_stream_end(nlogd_store_txn *x, int commit)
{
    nlogd_store *s = x->s;
    nlogd_batch *b = x->stream;
    nlog_status st = NLOG_EIO;
    if (!b) {
        free(x);
        return NLOG_EIO; /* failed earlier, already rolled back */
    }
    int rc = SQLITE_OK;
    if (!commit) {
        free(x->t.names);
        txn_rollback(x);
        free(x);
        return NLOG_OK;
    }
    if (b->batch_id[0] && !b->duplicate && !b->conflict) {
        sqlite3_stmt *up;
        rc = sqlite3_prepare_v2(s->w,
                                "UPDATE batches SET accepted = ?2, rejected = ?3 WHERE"
                                " batch_id = ?1",
                                -1, &up, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_text(up, 1, b->batch_id, -1, SQLITE_STATIC);
            sqlite3_bind_int64(up, 2, (int64_t) x->stream_n);
            sqlite3_bind_int64(up, 3, (int64_t) b->rejected);
            rc = step_done(up);
        }
        sqlite3_finalize(up);
    }
    st = txn_end(x, rc);
    __atomic_store_n(&s->failed, st != NLOG_OK, __ATOMIC_RELAXED);
    b->status = st;
    free(x);
    return st;
}

void nlogd_store_stream_committed(nlogd_store *s, const nlogd_record *recs, size_t n)
{
    committed(s, recs, n, store_now(s));
}

/* ---- maintenance (writer) ---------------------------------------------------- */

/* Prepares each statement of a maintenance slice (not cached: a slice is
 * long, the preparation negligible). */
static int prep_all(sqlite3 *db, const char *const *sql, sqlite3_stmt **st, size_t n)
{
    int rc = SQLITE_OK;
    for (size_t i = 0; i < n; i++)
        st[i] = NULL;
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++)
        rc = sqlite3_prepare_v2(db, sql[i], -1, &st[i], NULL);
    return rc;
}

static void finalize_all(sqlite3_stmt **st, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sqlite3_finalize(st[i]);
}

static int step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Rows older than before_ns: every id below id_floor(before_ns), and in the
 * few ids above it (up to the spill bound) those whose ts is older. */
static int64_t retain_hi(const nlogd_store *s, int64_t before_ns)
{
    return sat_add(sat_add(id_ceil(before_ns), s->max_spill), 1);
}

/* Whether any record is older than before_ns (cheap: one seek, then at
 * most the rows within the spill bound above it). */
static int retain_due(nlogd_store *s, int64_t before_ns)
{
    sqlite3_stmt *st;
    int due = 0;
    if (sqlite3_prepare_v2(s->w, "SELECT 1 FROM entries WHERE id < ? AND ts < ? LIMIT 1", -1, &st,
                           NULL) != SQLITE_OK)
        return 1;
    sqlite3_bind_int64(st, 1, retain_hi(s, before_ns));
    sqlite3_bind_int64(st, 2, before_ns);
    due = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return due;
}

/* After retention: a name whose count reached 0 has no record left; its
 * row goes (ids are never reused, so caches of the old id stay right). */
static int prune_names(nlogd_store *s, const tally *t, int *ret_pruned)
{
    sqlite3_stmt *get, *del_n, *del_c;
    int rc = SQLITE_OK;
    *ret_pruned = 0;
    if (!t->n)
        return SQLITE_OK;
    get = del_n = del_c = NULL;
    if ((rc = sqlite3_prepare_v2(s->w, "SELECT n FROM counts WHERE kind = 1 AND key = ?", -1,
                                 &get, NULL)) == SQLITE_OK &&
        (rc = sqlite3_prepare_v2(s->w, "DELETE FROM names WHERE id = ?", -1, &del_n, NULL)) ==
            SQLITE_OK)
        rc = sqlite3_prepare_v2(s->w, "DELETE FROM counts WHERE kind = 1 AND key = ?", -1,
                                &del_c, NULL);
    for (size_t i = 0; i < t->n && rc == SQLITE_OK; i++) {
        sqlite3_bind_int64(get, 1, t->names[i].id);
        int step = sqlite3_step(get);
        int gone = step == SQLITE_ROW && sqlite3_column_int64(get, 0) <= 0;
        sqlite3_reset(get);
        if (step != SQLITE_ROW && step != SQLITE_DONE) {
            rc = step;
            break;
        }
        if (!gone)
            continue;
        sqlite3_bind_int64(del_n, 1, t->names[i].id);
        if ((rc = step_done(del_n)) == SQLITE_OK) {
            sqlite3_bind_int64(del_c, 1, t->names[i].id);
            rc = step_done(del_c);
        }
        *ret_pruned = 1;
    }
    sqlite3_finalize(get);
    sqlite3_finalize(del_n);
    sqlite3_finalize(del_c);
    return rc;
}

static int retain_slice(nlogd_store *s, int64_t before_ns, size_t rows, int *ret_more,
                        size_t *ret_n)
{
    static const char *const sql[] = {
        "SELECT e.id, e.message, e.level, e.category, e.logger, p.id IS NOT NULL"
        " FROM entries e LEFT JOIN fts_pending p ON p.id = e.id WHERE e.id < ? AND e.ts < ?"
        " ORDER BY e.id LIMIT ?",
        ("INSERT INTO entries_idx(entries_idx, rowid, doc)"
         " VALUES('delete', ?1, nlogd_doc(?2, ?3, ?4, ?5))"),
        "DELETE FROM fts_pending WHERE id = ?",
        "DELETE FROM entries WHERE id = ?",
    };
    enum { SEL, DEL_IDX, DEL_P, DEL_E, N_ST };
    sqlite3_stmt *st[N_ST];
    *ret_n = 0;
    int rc = exec(s->w, "BEGIN IMMEDIATE");
    int64_t lvl[8] = {0};
    tally t;
    memset(&t, 0, sizeof t);
    size_t n = 0, pending_gone = 0;
    int pruned = 0;
    if (rc == SQLITE_OK)
        rc = prep_all(s->w, sql, st, N_ST);
    else
        memset(st, 0, sizeof st);
    if (rc == SQLITE_OK) {
        sqlite3_stmt *sel = st[SEL];
        sqlite3_bind_int64(sel, 1, retain_hi(s, before_ns));
        sqlite3_bind_int64(sel, 2, before_ns);
        sqlite3_bind_int64(sel, 3, (int64_t) rows);
        while (rc == SQLITE_OK && sqlite3_step(sel) == SQLITE_ROW) {
            int64_t id = sqlite3_column_int64(sel, 0);
            int late = sqlite3_column_int(sel, 5), tail = id >= s->tail_from;
            if (late) {
                sqlite3_bind_int64(st[DEL_P], 1, id);
                rc = step_done(st[DEL_P]);
            } else if (!tail) { /* indexed: its words and tags out of entries_idx */
                sqlite3_bind_int64(st[DEL_IDX], 1, id);
                for (int k = 1; k <= 4; k++)
                    sqlite3_bind_value(st[DEL_IDX], k + 1, sqlite3_column_value(sel, k));
                rc = step_done(st[DEL_IDX]);
            }
            pending_gone += late || tail;
            if (rc == SQLITE_OK) {
                sqlite3_bind_int64(st[DEL_E], 1, id);
                rc = step_done(st[DEL_E]);
            }
            int li = nlog_level_index((nlog_level) sqlite3_column_int(sel, 2));
            if (li >= 0)
                lvl[li]++;
            if (rc == SQLITE_OK)
                rc = tally_name(&t, sqlite3_column_int64(sel, 3));
            if (rc == SQLITE_OK)
                rc = tally_name(&t, sqlite3_column_int64(sel, 4));
            n++;
        }
    }
    for (int l = 0; l < 8 && rc == SQLITE_OK; l++)
        if (lvl[l])
            rc = count_add(s, COUNT_LEVEL, nlog_level_from_index(l), -lvl[l]);
    for (size_t i = 0; i < t.n && rc == SQLITE_OK; i++)
        rc = count_add(s, COUNT_CATEGORY, t.names[i].id, -(int64_t) t.names[i].n);
    if (rc == SQLITE_OK)
        rc = prune_names(s, &t, &pruned);
    finalize_all(st, N_ST);
    free(t.names);
    if (rc == SQLITE_OK)
        rc = exec(s->w, "COMMIT");
    if (rc != SQLITE_OK) {
        exec(s->w, "ROLLBACK");
        return rc;
    }
    if (pruned)
        map_free(&s->names); /* the cache may name deleted rows: start over */
    if (pending_gone)
        __atomic_fetch_sub(&s->fts_lag, pending_gone, __ATOMIC_RELAXED);
    if (n > pending_gone) /* FTS5 keeps the deletions as segments to merge */
        __atomic_store_n(&s->merging, 1, __ATOMIC_RELAXED);
    *ret_more = n == rows;
    *ret_n = n;
    return SQLITE_OK;
}

/* The dedupe window counts nlogd's running time: a batch id stored before
 * this process started is kept until it has been remembered for the window
 * counting from the last batch stored before the stop to that stop, plus
 * the time since the start. */
static void batch_cutoffs(const nlogd_store *s, int64_t now, int64_t *ret_pre, int64_t *ret_post)
{
    *ret_pre = s->last_before_ns - NLOGD_BATCH_WINDOW_NS + (now - s->started_ns);
    *ret_post = now - NLOGD_BATCH_WINDOW_NS;
}

/* Forgets up to BATCH_SLICE batch ids older than the window. */
static int batch_slice(nlogd_store *s, int *ret_more, size_t *ret_n)
{
    int64_t pre, post;
    batch_cutoffs(s, store_now(s), &pre, &post);
    sqlite3_stmt *st;
    *ret_n = 0;
    *ret_more = 0;
    int rc = sqlite3_prepare_v2(s->w,
                                "DELETE FROM batches WHERE batch_id IN (SELECT batch_id FROM"
                                " batches WHERE received < ?1 UNION ALL SELECT batch_id FROM"
                                " batches WHERE received >= ?2 AND received < ?3 LIMIT ?4)",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, pre);
    sqlite3_bind_int64(st, 2, s->started_ns);
    sqlite3_bind_int64(st, 3, post);
    sqlite3_bind_int(st, 4, BATCH_SLICE);
    rc = step_done(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        return rc;
    *ret_n = (size_t) sqlite3_changes(s->w);
    *ret_more = *ret_n == BATCH_SLICE;
    return SQLITE_OK;
}

static int batch_due(nlogd_store *s)
{
    int64_t pre, post;
    batch_cutoffs(s, store_now(s), &pre, &post);
    sqlite3_stmt *st;
    int due = 0;
    if (sqlite3_prepare_v2(s->w,
                           "SELECT EXISTS(SELECT 1 FROM batches WHERE received < ?1) OR"
                           " EXISTS(SELECT 1 FROM batches WHERE received >= ?2 AND"
                           " received < ?3)",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_int64(st, 1, pre);
    sqlite3_bind_int64(st, 2, s->started_ns);
    sqlite3_bind_int64(st, 3, post);
    due = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return due;
}

/* One slice of index building, in one transaction: up to `rows` pending
 * rows, the late ones (fts_pending) first, then the oldest of the tail,
 * into entries_idx with one INSERT ... SELECT each (no per-row round trip
 * through C); then fts_pending loses them and tail_from moves past them. */
static int index_slice(nlogd_store *s, size_t rows, int *ret_more)
{
    /* ?1..?2: an id range; the late statements join fts_pending. */
    static const char *const sql[] = {
        "SELECT id FROM fts_pending ORDER BY id LIMIT 1 OFFSET ?",
        "INSERT INTO entries_idx(rowid, doc) SELECT e.id,"
        " nlogd_doc(e.message, e.level, e.category, e.logger) FROM fts_pending p"
        " CROSS JOIN entries e ON e.id = p.id WHERE p.id <= ?2",
        "DELETE FROM fts_pending WHERE id <= ?2",
        "SELECT max(id), count(*) FROM (SELECT id FROM entries WHERE id >= ?1 ORDER BY id"
        " LIMIT ?2)",
        "INSERT INTO entries_idx(rowid, doc) SELECT id, nlogd_doc(message, level, category,"
        " logger) FROM entries WHERE id BETWEEN ?1 AND ?2",
        "UPDATE meta SET value = ?1 WHERE key = 'tail_from'",
    };
    enum { L_END, L_IDX, L_DEL, T_IDS, T_IDX, T_SET, N_ST };
    sqlite3_stmt *st[N_ST];
    size_t n_late = 0, n_tail = 0;
    int64_t new_tail = s->tail_from;
    int rc = exec(s->w, "BEGIN IMMEDIATE");
    if (rc == SQLITE_OK)
        rc = prep_all(s->w, sql, st, N_ST);
    else
        memset(st, 0, sizeof st);
    if (rc == SQLITE_OK && scalar(s->w, "SELECT EXISTS(SELECT 1 FROM fts_pending)")) {
        int64_t end = INT64_MAX;
        sqlite3_bind_int64(st[L_END], 1, (int64_t) rows - 1);
        if (sqlite3_step(st[L_END]) == SQLITE_ROW)
            end = sqlite3_column_int64(st[L_END], 0);
        sqlite3_reset(st[L_END]);
        for (int k = L_IDX; k <= L_DEL && rc == SQLITE_OK; k++) {
            sqlite3_bind_int64(st[k], 2, end);
            rc = step_done(st[k]);
            if (k == L_DEL)
                n_late = (size_t) sqlite3_changes(s->w);
        }
    }
    if (rc == SQLITE_OK && n_late < rows) {
        int64_t last = 0;
        sqlite3_bind_int64(st[T_IDS], 1, s->tail_from);
        sqlite3_bind_int64(st[T_IDS], 2, (int64_t) (rows - n_late));
        if ((rc = sqlite3_step(st[T_IDS])) == SQLITE_ROW) {
            last = sqlite3_column_int64(st[T_IDS], 0);
            n_tail = (size_t) sqlite3_column_int64(st[T_IDS], 1);
            rc = SQLITE_OK;
        }
        sqlite3_reset(st[T_IDS]);
        if (rc == SQLITE_OK && n_tail) {
            sqlite3_bind_int64(st[T_IDX], 1, s->tail_from);
            sqlite3_bind_int64(st[T_IDX], 2, last);
            rc = step_done(st[T_IDX]);
        }
        if (rc == SQLITE_OK && n_tail) {
            new_tail = last + 1; /* ids stop below INT64_MAX: timestamps end in 2249 */
            sqlite3_bind_int64(st[T_SET], 1, new_tail);
            rc = step_done(st[T_SET]);
        }
    }
    finalize_all(st, N_ST);
    if (rc == SQLITE_OK)
        rc = exec(s->w, "COMMIT");
    if (rc != SQLITE_OK) {
        exec(s->w, "ROLLBACK");
        return rc;
    }
    s->tail_from = new_tail;
    __atomic_fetch_sub(&s->fts_lag, n_late + n_tail, __ATOMIC_RELAXED);
    if (n_late + n_tail)
        __atomic_store_n(&s->merging, 1, __ATOMIC_RELAXED); /* a new segment */
    *ret_more = n_late + n_tail == rows;
    return SQLITE_OK;
}

nlog_status nlogd_store_maintain_ex(nlogd_store *s, const nlogd_maint *m, unsigned *ret_did,
                                    int *ret_more)
{
    int more = 0, rc = SQLITE_OK;
    size_t n;
    *ret_more = 0;
    *ret_did = 0;
    if ((m->what & NLOGD_MAINT_RETAIN) && m->retain_after_ns && retain_due(s, m->retain_after_ns)) {
        rc = retain_slice(s, m->retain_after_ns, m->retain_rows ? m->retain_rows : RETAIN_SLICE,
                          &more, &n);
        if (rc == SQLITE_OK && n) {
            *ret_did = NLOGD_MAINT_RETAIN;
            *ret_more = 1; /* at least the other kinds may have work */
            return NLOG_OK;
        }
    }
    if (rc == SQLITE_OK && (m->what & NLOGD_MAINT_BATCHES) && batch_due(s)) {
        rc = batch_slice(s, &more, &n);
        if (rc == SQLITE_OK && n) {
            *ret_did = NLOGD_MAINT_BATCHES;
            *ret_more = 1;
            return NLOG_OK;
        }
    }
    if (rc == SQLITE_OK && (m->what & NLOGD_MAINT_INDEX) && nlogd_store_fts_lag(s) > 0) {
        rc = index_slice(s, m->index_rows ? m->index_rows : INDEX_SLICE, &more);
        if (rc == SQLITE_OK) {
            *ret_did = NLOGD_MAINT_INDEX;
            *ret_more = more || nlogd_store_fts_lag(s) > 0 || (m->what & NLOGD_MAINT_MERGE);
            return NLOG_OK;
        }
    }
    if (rc == SQLITE_OK && (m->what & NLOGD_MAINT_MERGE)) {
        /* One bounded step of segment merging; it did work if it changed rows. */
        int before = sqlite3_total_changes(s->w);
        char sql[96];
        snprintf(sql, sizeof sql, "INSERT INTO entries_idx(entries_idx, rank) VALUES('merge', %d)",
                 MERGE_PAGES);
        rc = exec(s->w, sql);
        if (rc == SQLITE_OK && sqlite3_total_changes(s->w) - before >= 2) {
            *ret_did = NLOGD_MAINT_MERGE;
            *ret_more = 1;
        } else if (rc == SQLITE_OK) {
            __atomic_store_n(&s->merging, 0, __ATOMIC_RELAXED);
        }
    }
    return rc == SQLITE_OK ? NLOG_OK : NLOG_EIO;
}

nlog_status nlogd_store_maintain(nlogd_store *s, int64_t retain_after_ns, int *ret_more)
{
    nlogd_maint m = {NLOGD_MAINT_ALL, retain_after_ns, 0, 0};
    unsigned did;
    return nlogd_store_maintain_ex(s, &m, &did, ret_more);
}

/* ---- readers ---------------------------------------------------------------- */

static reader *reader_take(nlogd_store *s)
{
    pthread_mutex_lock(&s->rlock);
    reader *r = s->idle;
    if (r) {
        s->idle = r->next;
        s->n_idle--;
    }
    pthread_mutex_unlock(&s->rlock);
    if (r)
        return r;
    r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    if (open_conn(s->path, &r->db, 32768) != SQLITE_OK) {
        sqlite3_close(r->db);
        free(r);
        return NULL;
    }
    exec(r->db, "PRAGMA query_only=1");
    if (prep(r->db, "SELECT name FROM names WHERE id = ?", &r->name_by_id) != SQLITE_OK ||
        prep(r->db, "SELECT id FROM names WHERE kind = ? AND name = ?", &r->id_by_name) !=
            SQLITE_OK ||
        prep(r->db, "SELECT key, value FROM meta WHERE key IN ('tail_from', 'max_spill')",
             &r->meta) != SQLITE_OK) {
        reader_free(r);
        return NULL;
    }
    return r;
}

/* Back to the pool; beyond READERS_MAX idle connections, closed. */
static void reader_give(nlogd_store *s, reader *r)
{
    for (size_t i = 0; i < STMT_CACHE; i++)
        r->cache[i].busy = 0;
    if (r->names.n >= READER_NAMES_MAX)
        idn_free(&r->names); /* full: the next queries cache their own names */
    pthread_mutex_lock(&s->rlock);
    if (s->n_idle >= READERS_MAX) {
        pthread_mutex_unlock(&s->rlock);
        reader_free(r);
        return;
    }
    r->next = s->idle;
    s->idle = r;
    s->n_idle++;
    pthread_mutex_unlock(&s->rlock);
}

/* A statement for `sql` in cache slot `slot` (several streams may share one
 * SQL text); reset and unbound, and marked busy until the reader goes back
 * to the pool, so a later look-up of the same query never evicts it. */
static sqlite3_stmt *reader_stmt(reader *r, const char *sql, int slot)
{
    for (size_t i = 0; i < STMT_CACHE; i++)
        if (r->cache[i].sql && r->cache[i].slot == slot && strcmp(r->cache[i].sql, sql) == 0) {
            sqlite3_reset(r->cache[i].st);
            sqlite3_clear_bindings(r->cache[i].st);
            r->cache[i].busy = 1;
            return r->cache[i].st;
        }
    size_t i = STMT_CACHE;
    for (size_t k = 0; k < STMT_CACHE; k++) {
        size_t j = r->next_evict++ % STMT_CACHE;
        if (!r->cache[j].busy) {
            i = j;
            break;
        }
    }
    if (i == STMT_CACHE)
        return NULL; /* a query with more streams than the cache: cannot happen */
    sqlite3_finalize(r->cache[i].st);
    free(r->cache[i].sql);
    r->cache[i].st = NULL;
    r->cache[i].sql = strdup(sql);
    r->cache[i].slot = slot;
    if (!r->cache[i].sql || prep(r->db, sql, &r->cache[i].st) != SQLITE_OK) {
        sqlite3_finalize(r->cache[i].st);
        free(r->cache[i].sql);
        r->cache[i].sql = NULL;
        r->cache[i].st = NULL;
        return NULL;
    }
    r->cache[i].busy = 1;
    return r->cache[i].st;
}

/* The name of a category/logger id (which: 0 category, 1 logger), valid
 * until the reader goes back to the pool or, when its cache is full, until
 * the next name of the same kind. Ids are never reused (file comment). */
static const char *name_of(reader *r, int64_t id, int which)
{
    const char *res = idn_find(&r->names, id);
    if (res)
        return res;
    sqlite3_bind_int64(r->name_by_id, 1, id);
    char *copy = NULL;
    if (sqlite3_step(r->name_by_id) == SQLITE_ROW)
        copy = strdup((const char *) sqlite3_column_text(r->name_by_id, 0));
    sqlite3_reset(r->name_by_id);
    if (!copy)
        return "?";
    if ((res = idn_put(&r->names, id, copy)))
        return res;
    free(r->scratch[which]);
    r->scratch[which] = copy;
    return copy;
}

static int lookup_name(reader *r, int kind, const char *name, int64_t *ret)
{
    sqlite3_stmt *st = r->id_by_name;
    sqlite3_bind_int(st, 1, kind);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    int found = sqlite3_step(st) == SQLITE_ROW;
    if (found)
        *ret = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return found;
}

#define COLS                                                                                \
    "e.id, e.ts, e.level, e.category, e.logger, e.message, e.function, e.line, e.pid, e.tid," \
    " e.context, e.metadata, e.perf, e.extra"

typedef struct stream {
    sqlite3_stmt *st;
    int has_row;
} stream;

static int64_t col_opt(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, i);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *) sqlite3_column_text(st, i);
}

/* The pending tail's start and the spill bound, as this read transaction
 * sees them. */
static void read_meta(reader *r, int64_t *ret_tail, int64_t *ret_spill)
{
    *ret_tail = INT64_MIN;
    *ret_spill = 0;
    while (sqlite3_step(r->meta) == SQLITE_ROW) {
        const char *k = col_text(r->meta, 0);
        if (k && strcmp(k, "tail_from") == 0)
            *ret_tail = sqlite3_column_int64(r->meta, 1);
        else if (k)
            *ret_spill = sqlite3_column_int64(r->meta, 1);
    }
    sqlite3_reset(r->meta);
}

/* The levels a filter admits: exactly f->only_level, or min_level and
 * above; at most max_level (a viewer's role). */
static int level_admitted(const nlogd_filter *f, int lv)
{
    if (f->only_level ? lv != f->only_level : lv < f->min_level)
        return 0;
    return !f->max_level || lv <= f->max_level;
}

/* The MATCH expression of the filter's level, category and logger (tag
 * words, AND-ed; levels OR-ed), after `words` (a compiled search_query, or
 * NULL). Returns 1 with the expression in out, 0 when there is nothing to
 * match (no words; every level, no category, no logger), -1 when no level
 * is admitted (nothing can match). */
static int index_expr(char *out, size_t size, const char *words, const nlogd_filter *f,
                      int64_t cat, int64_t lg)
{
    char w[32];
    int n_lv = 0;
    for (int li = 0; li < NLOG_LEVEL_COUNT; li++)
        n_lv += level_admitted(f, nlog_level_from_index(li));
    if (n_lv == 0)
        return -1;
    nlogd_buf b;
    nlogd_buf_init(&b, size - 1);
    size_t terms = 0;
    if (words && words[0]) {
        nlogd_buf_printf(&b, "(%s)", words);
        terms++;
    }
    if (n_lv < NLOG_LEVEL_COUNT) {
        nlogd_buf_adds(&b, terms++ ? " AND (" : "(");
        int k = 0;
        for (int li = 0; li < NLOG_LEVEL_COUNT; li++) {
            int lv = nlog_level_from_index(li);
            if (!level_admitted(f, lv))
                continue;
            tag_word(w, sizeof w, TAG_LEVEL, lv);
            nlogd_buf_printf(&b, "%s\"%s\"", k++ ? " OR " : "", w);
        }
        nlogd_buf_addc(&b, ')');
    }
    if (cat >= 0) {
        tag_word(w, sizeof w, TAG_CATEGORY, cat);
        nlogd_buf_printf(&b, "%s\"%s\"", terms++ ? " AND " : "", w);
    }
    if (lg >= 0) {
        tag_word(w, sizeof w, TAG_LOGGER, lg);
        nlogd_buf_printf(&b, "%s\"%s\"", terms++ ? " AND " : "", w);
    }
    int ok = !b.failed && b.len < size;
    if (ok && terms)
        memcpy(out, b.data, b.len + 1);
    nlogd_buf_free(&b);
    if (!ok)
        return -1;
    return terms ? 1 : 0;
}

/* Streams, each ordered by id, merged in C. Parameters: ?1..?2 the id range,
 * ?3 a level (per-level index streams), ?4 category, ?5 logger, ?6 the FTS5
 * query, ?7 the search words, ?8 the start of the pending tail within the
 * range, ?9 the level threshold of the pending streams, ?10..?11 the time
 * window in ns (the id range holds it plus neighbours within the spill
 * bound; the residual condition on ts keeps exactly the window), ?12 the
 * highest level a viewer's role may read. */
nlog_status nlogd_store_query(nlogd_store *s, const nlogd_filter *f, size_t limit,
                              nlogd_entry_fn fn, void *user, int *ret_more)
{
    *ret_more = 0;
    reader *r = reader_take(s);
    if (!r)
        return NLOG_EIO;
    nlog_status result = NLOG_OK;
    stream streams[12];
    size_t ns = 0;
    int64_t cat = -1, lg = -1, tail = INT64_MIN, spill = 0;
    exec(r->db, "BEGIN");
    read_meta(r, &tail, &spill);
    int64_t lo = f->has_start ? id_floor(f->start_ns) : INT64_MIN;
    int64_t hi = f->has_end ? sat_add(id_ceil(f->end_ns), spill) : INT64_MAX;
    if (f->has_cursor) {
        if (f->ascending)
            lo = f->cursor_id == INT64_MAX ? INT64_MAX : (lo > f->cursor_id + 1 ? lo : f->cursor_id + 1);
        else
            hi = f->cursor_id == INT64_MIN ? INT64_MIN : (hi < f->cursor_id - 1 ? hi : f->cursor_id - 1);
    }
    if ((f->category[0] && lookup_name(r, KIND_CATEGORY, f->category, &cat) != 1) ||
        (f->logger[0] && lookup_name(r, KIND_LOGGER, f->logger, &lg) != 1) || lo > hi ||
        (f->has_cursor && !f->ascending && f->cursor_id == INT64_MIN) ||
        (f->has_start && f->has_end && f->start_ns > f->end_ns))
        goto done; /* an unknown name or an empty range matches nothing */
    int64_t tail_lo = tail > lo ? tail : lo;

    const char *dir = f->ascending ? "ASC" : "DESC";
    char sql[1024], resid[256], win[64], fts[NLOGD_SEARCH_MAX * 2 + 320];
    snprintf(win, sizeof win, "%s%s", f->has_start ? " AND e.ts >= ?10" : "",
             f->has_end ? " AND e.ts <= ?11" : "");
    /* The residual predicate of rows read from entries e without an index. */
    snprintf(resid, sizeof resid, "%s%s%s%s%s%s",
             f->only_level ? " AND e.level = ?9" : f->min_level ? " AND e.level >= ?9" : "",
             cat >= 0 ? " AND e.category = ?4" : "", lg >= 0 ? " AND e.logger = ?5" : "",
             f->need_perf ? " AND e.perf IS NOT NULL" : "", win,
             f->max_level ? " AND e.level <= ?12" : ""); /* a viewer's role bound */
    char words[NLOGD_SEARCH_MAX * 2 + 64];
    words[0] = '\0';
    if (f->search[0]) {
        nlogd_search *q = malloc(sizeof *q); /* 8 KiB: CivetWeb workers have 100 KiB stacks */
        char why[128];
        if (!q || nlogd_search_compile(f->search, strlen(f->search), q, why, sizeof why) != 0) {
            free(q);
            goto done;
        }
        nlogd_search_fts(q, words, sizeof words);
        free(q);
    }
    int indexed = index_expr(fts, sizeof fts, words, f, cat, lg);
    if (indexed < 0)
        goto done; /* no level admitted */
    if (indexed) {
        /* Indexed rows: one MATCH of words and tags, newest (or oldest)
         * first; the residual predicate re-checks the columns. */
        snprintf(sql, sizeof sql,
                 "SELECT " COLS " FROM entries_idx x CROSS JOIN entries e ON e.id = x.rowid"
                 " WHERE entries_idx MATCH ?6 AND x.rowid BETWEEN ?1 AND ?2%s"
                 " ORDER BY x.rowid %s",
                 resid, dir);
        streams[ns++].st = reader_stmt(r, sql, 0);
        /* Pending rows: fts_pending by id, the tail as a rowid range. */
        const char *m = f->search[0] ? " AND nlogd_match(e.message, ?7)" : "";
        snprintf(sql, sizeof sql,
                 "SELECT " COLS " FROM fts_pending p CROSS JOIN entries e ON e.id = p.id"
                 " WHERE p.id BETWEEN ?1 AND ?2%s%s ORDER BY p.id %s",
                 resid, m, dir);
        streams[ns++].st = reader_stmt(r, sql, 1);
        snprintf(sql, sizeof sql,
                 "SELECT " COLS " FROM entries e WHERE e.id BETWEEN ?8 AND ?2%s%s"
                 " ORDER BY e.id %s",
                 resid, m, dir);
        streams[ns++].st = reader_stmt(r, sql, 2);
        for (size_t i = 0; i < ns; i++)
            if (streams[i].st) {
                if (i == 0)
                    sqlite3_bind_text(streams[i].st, 6, fts, -1, SQLITE_TRANSIENT);
                else if (f->search[0])
                    sqlite3_bind_text(streams[i].st, 7, f->search, -1, SQLITE_TRANSIENT);
            }
    } else {
        snprintf(sql, sizeof sql,
                 "SELECT " COLS " FROM entries e WHERE e.id BETWEEN ?1 AND ?2%s ORDER BY e.id %s",
                 resid, dir);
        streams[ns++].st = reader_stmt(r, sql, 0);
    }
    for (size_t i = 0; i < ns; i++) {
        if (!streams[i].st) {
            result = NLOG_EIO;
            goto done;
        }
        /* A parameter a statement does not have is refused harmlessly. */
        sqlite3_stmt *st = streams[i].st;
        sqlite3_bind_int64(st, 1, lo);
        sqlite3_bind_int64(st, 2, hi);
        sqlite3_bind_int64(st, 8, tail_lo);
        if (f->only_level || f->min_level)
            sqlite3_bind_int(st, 9, f->only_level ? f->only_level : f->min_level);
        if (cat >= 0)
            sqlite3_bind_int64(st, 4, cat);
        if (lg >= 0)
            sqlite3_bind_int64(st, 5, lg);
        if (f->has_start)
            sqlite3_bind_int64(st, 10, f->start_ns);
        if (f->has_end)
            sqlite3_bind_int64(st, 11, f->end_ns);
        if (f->max_level)
            sqlite3_bind_int(st, 12, f->max_level);
    }
    for (size_t i = 0; i < ns; i++) {
        int rc = sqlite3_step(streams[i].st);
        streams[i].has_row = rc == SQLITE_ROW;
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            result = NLOG_EIO;
    }
    size_t emitted = 0;
    int64_t last_id = 0;
    while (result == NLOG_OK) {
        stream *best = NULL;
        int64_t best_id = 0;
        for (size_t i = 0; i < ns; i++) {
            if (!streams[i].has_row)
                continue;
            int64_t id = sqlite3_column_int64(streams[i].st, 0);
            if (!best || (f->ascending ? id < best_id : id > best_id)) {
                best = &streams[i];
                best_id = id;
            }
        }
        if (!best)
            break;
        sqlite3_stmt *st = best->st;
        if (emitted && best_id == last_id) {
            /* The same row from two streams (a store migrated from schema 1
             * can hold a row both indexed and pending): once is enough. */
            int rc = sqlite3_step(st);
            best->has_row = rc == SQLITE_ROW;
            if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                result = NLOG_EIO;
            continue;
        }
        if (limit && emitted == limit) {
            *ret_more = 1;
            break;
        }
        last_id = best_id;
        nlogd_entry e;
        e.id = best_id;
        e.ts_ns = sqlite3_column_int64(st, 1);
        e.level = sqlite3_column_int(st, 2);
        e.category = name_of(r, sqlite3_column_int64(st, 3), 0);
        e.logger = name_of(r, sqlite3_column_int64(st, 4), 1);
        e.message = (const char *) sqlite3_column_blob(st, 5);
        e.message_len = (size_t) sqlite3_column_bytes(st, 5);
        if (!e.message)
            e.message = "";
        e.function = col_text(st, 6);
        e.line = col_opt(st, 7);
        e.pid = col_opt(st, 8);
        e.tid = col_opt(st, 9);
        e.context = col_text(st, 10);
        e.metadata = col_text(st, 11);
        e.perf = col_text(st, 12);
        e.extra = col_text(st, 13);
        emitted++;
        if (fn(&e, user))
            break;
        int rc = sqlite3_step(st);
        best->has_row = rc == SQLITE_ROW;
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            result = NLOG_EIO;
    }
done:
    for (size_t i = 0; i < ns; i++)
        if (streams[i].st)
            sqlite3_reset(streams[i].st);
    exec(r->db, "COMMIT");
    reader_give(s, r);
    return result;
}

/* ---- statistics -------------------------------------------------------------- */

static int cmp_count(const void *a, const void *b)
{
    const nlogd_count *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return strcmp(x->name, y->name);
}

static int push_count(nlogd_count **arr, size_t *n, size_t *cap, const char *name, uint64_t v)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 32;
        nlogd_count *p = realloc(*arr, nc * sizeof *p);
        if (!p)
            return -1;
        *arr = p;
        *cap = nc;
    }
    snprintf((*arr)[*n].name, sizeof (*arr)[*n].name, "%s", name);
    (*arr)[*n].n = v;
    (*n)++;
    return 0;
}

/* Subtracts from *arr the records above max_level, per name (cnt[k] for the
 * name id), and drops names left with none: a name seen only in records
 * the caller may not read is not shown either. */
static void subtract_counts(nlogd_store *s, nlogd_count *arr, size_t *n, const char *name,
                            uint64_t above)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(arr[i].name, name) == 0) {
            arr[i].n = arr[i].n > above ? arr[i].n - above : 0;
            if (arr[i].n == 0) {
                memmove(&arr[i], &arr[i + 1], (*n - i - 1) * sizeof *arr);
                (*n)--;
            }
            return;
        }
    (void) s;
}

/* The records above max_level by category and logger: indexed rows through
 * entries_idx (the tag words of the levels above), pending ones (the tail
 * and fts_pending) by scanning them, so the cost follows the number of such
 * records, not of all records. */
static nlog_status subtract_above(nlogd_store *s, reader *r, int64_t tail, int max_level,
                                  nlogd_store_stats *out)
{
    nlogd_filter f;
    memset(&f, 0, sizeof f);
    f.min_level = max_level + 1;
    char expr[320];
    if (index_expr(expr, sizeof expr, NULL, &f, -1, -1) != 1)
        return NLOG_OK; /* no level above max_level */
    sqlite3_stmt *st = reader_stmt(
        r,
        "SELECT c.name, l.name, n FROM ("
        " SELECT e.category AS cat, e.logger AS lg, count(*) AS n FROM entries_idx x"
        "  CROSS JOIN entries e ON e.id = x.rowid WHERE entries_idx MATCH ?3 AND x.rowid < ?2"
        "  AND e.level > ?1 GROUP BY 1, 2"
        " UNION ALL SELECT category, logger, count(*) FROM entries"
        "  WHERE id >= ?2 AND level > ?1 GROUP BY 1, 2"
        " UNION ALL SELECT e.category, e.logger, count(*) FROM fts_pending p"
        "  JOIN entries e ON e.id = p.id WHERE e.level > ?1 AND e.id < ?2"
        "  GROUP BY 1, 2)"
        " JOIN names c ON c.id = cat JOIN names l ON l.id = lg",
        0);
    if (!st)
        return NLOG_EIO;
    sqlite3_bind_int(st, 1, max_level);
    sqlite3_bind_int64(st, 2, tail);
    sqlite3_bind_text(st, 3, expr, -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t n = (uint64_t) sqlite3_column_int64(st, 2);
        subtract_counts(s, out->categories, &out->n_categories, col_text(st, 0), n);
        subtract_counts(s, out->loggers, &out->n_loggers_total, col_text(st, 1), n);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? NLOG_OK : NLOG_EIO;
}

/* The oldest and newest timestamps: the rows near the smallest and the
 * largest id (within the spill bound, every row that could be older than
 * the first or newer than the last). With max_level, of the records at or
 * below it only (a scan from each end that stops at the first such one). */
static void stats_range(reader *r, int64_t spill, int max_level, nlogd_store_stats *out)
{
    const int lv = max_level ? max_level : INT32_MAX;
    int64_t lo = 0, hi = 0;
    int any = 0;
    sqlite3_stmt *st = reader_stmt(r, "SELECT id FROM entries WHERE level <= ?1 ORDER BY id ASC "
                                       "LIMIT 1", 0);
    if (st)
        sqlite3_bind_int(st, 1, lv);
    if (st && sqlite3_step(st) == SQLITE_ROW) {
        lo = sqlite3_column_int64(st, 0);
        any = 1;
    }
    if (st)
        sqlite3_reset(st);
    st = reader_stmt(r, "SELECT id FROM entries WHERE level <= ?1 ORDER BY id DESC LIMIT 1", 0);
    if (st)
        sqlite3_bind_int(st, 1, lv);
    if (st && sqlite3_step(st) == SQLITE_ROW)
        hi = sqlite3_column_int64(st, 0);
    if (st)
        sqlite3_reset(st);
    if (!any)
        return;
    int64_t reach = sat_add(ID_SLOTS - 1, spill);
    st = reader_stmt(r, "SELECT min(ts) FROM entries WHERE id BETWEEN ?1 AND ?2 AND level <= ?3",
                     0);
    if (st) {
        sqlite3_bind_int(st, 3, lv);
        sqlite3_bind_int64(st, 1, lo);
        sqlite3_bind_int64(st, 2, sat_add(lo, reach));
        if (sqlite3_step(st) == SQLITE_ROW) {
            out->has_range = 1;
            out->oldest_ns = sqlite3_column_int64(st, 0);
        }
        sqlite3_reset(st);
    }
    st = reader_stmt(r, "SELECT max(ts) FROM entries WHERE id BETWEEN ?1 AND ?2 AND level <= ?3",
                     0);
    if (st) {
        sqlite3_bind_int(st, 3, lv);
        sqlite3_bind_int64(st, 1, hi - reach > hi ? INT64_MIN : hi - reach);
        sqlite3_bind_int64(st, 2, hi);
        if (sqlite3_step(st) == SQLITE_ROW)
            out->newest_ns = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    }
}

nlog_status nlogd_store_stats_get(nlogd_store *s, int64_t now_ns, nlogd_store_stats *out)
{
    return nlogd_store_stats_get_bounded(s, now_ns, 0, out);
}

nlog_status nlogd_store_stats_get_bounded(nlogd_store *s, int64_t now_ns, int max_level,
                                          nlogd_store_stats *out)
{
    memset(out, 0, sizeof *out);
    reader *r = reader_take(s);
    if (!r)
        return NLOG_EIO;
    nlog_status result = NLOG_OK;
    size_t ccap = 0, lcap = 0;
    int64_t tail, spill;
    exec(r->db, "BEGIN");
    read_meta(r, &tail, &spill);
    sqlite3_stmt *st = reader_stmt(r, "SELECT key, n FROM counts WHERE kind = 0", 0);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        int li = nlog_level_index((nlog_level) sqlite3_column_int(st, 0));
        int64_t n = sqlite3_column_int64(st, 1);
        if (max_level && sqlite3_column_int(st, 0) > max_level)
            continue;
        if (li >= 0 && n > 0) {
            out->by_level[li] = (uint64_t) n;
            out->total += (uint64_t) n;
        }
    }
    if (st)
        sqlite3_reset(st);
    st = reader_stmt(r,
                     "SELECT nm.kind, nm.name, c.n FROM counts c JOIN names nm ON nm.id = c.key"
                     " WHERE c.kind = 1 AND c.n > 0",
                     0);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        const char *name = col_text(st, 1);
        uint64_t n = (uint64_t) sqlite3_column_int64(st, 2);
        int rc = sqlite3_column_int(st, 0) == KIND_CATEGORY
                     ? push_count(&out->categories, &out->n_categories, &ccap, name, n)
                     : push_count(&out->loggers, &out->n_loggers, &lcap, name, n);
        if (rc != 0) {
            result = NLOG_ENOMEM;
            break;
        }
    }
    if (st)
        sqlite3_reset(st);
    out->n_loggers_total = out->n_loggers;
    if (result == NLOG_OK && max_level)
        result = subtract_above(s, r, tail, max_level, out);
    out->n_loggers = out->n_loggers_total;
    if (out->categories)
        qsort(out->categories, out->n_categories, sizeof *out->categories, cmp_count);
    if (out->loggers)
        qsort(out->loggers, out->n_loggers, sizeof *out->loggers, cmp_count);
    if (out->n_loggers > NLOGD_STATS_TOP)
        out->n_loggers = NLOGD_STATS_TOP;
    stats_range(r, spill, max_level, out);
    st = reader_stmt(r, "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size",
                     0);
    if (st && sqlite3_step(st) == SQLITE_ROW)
        out->size_bytes = sqlite3_column_int64(st, 0);
    if (st)
        sqlite3_reset(st);
    exec(r->db, "COMMIT");
    reader_give(s, r);
    char wal[1100];
    struct stat sb;
    snprintf(wal, sizeof wal, "%s-wal", s->path);
    if (stat(wal, &sb) == 0)
        out->size_bytes += sb.st_size;
    out->fts_pending = nlogd_store_fts_lag(s);
    int64_t now_s = floor_div(now_ns, 1000000000LL);
    pthread_mutex_lock(&s->hlock);
    for (size_t i = 0; i < HIST_SECONDS; i++) {
        int64_t age = now_s - s->hist_sec[i];
        if (s->hist_n[i] == 0 || age < 0 || age >= HIST_SECONDS)
            continue;
        uint64_t n = s->hist_n[i] - (max_level ? s->hist_hi[i] : 0);
        out->last_hour += n;
        if (age < 60)
            out->last_minute += n;
    }
    pthread_mutex_unlock(&s->hlock);
    return result;
}

void nlogd_store_stats_free(nlogd_store_stats *st)
{
    free(st->categories);
    free(st->loggers);
    st->categories = st->loggers = NULL;
}

nlog_status nlogd_store_watch_get(nlogd_store *s, const char *path, uint64_t *ret_dev,
                                  uint64_t *ret_ino, int64_t *ret_offset)
{
    reader *r = reader_take(s);
    if (!r)
        return NLOG_EIO;
    nlog_status result = NLOG_ENOTFOUND;
    sqlite3_stmt *st =
        reader_stmt(r, "SELECT dev, ino, offset FROM watch_positions WHERE path = ?", 0);
    if (st) {
        sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW) {
            *ret_dev = (uint64_t) sqlite3_column_int64(st, 0);
            *ret_ino = (uint64_t) sqlite3_column_int64(st, 1);
            *ret_offset = sqlite3_column_int64(st, 2);
            result = NLOG_OK;
        }
        sqlite3_reset(st);
    } else {
        result = NLOG_EIO;
    }
    reader_give(s, r);
    return result;
}
