/* store.h: the narrow interface between nlogd and the engine that keeps the
 * records (today SQLite: store_sqlite.c). Another engine implements these
 * functions and nothing else changes.
 *
 *   append  - a writer thread stores batches (with their batch ids, so a
 *             retried batch is stored once) in one transaction;
 *   query   - any thread lists records matching a filter, newest or oldest
 *             first, continuing after a cursor position;
 *   stats   - counts by level, category and logger, oldest/newest, size;
 *   maintain- the writer's idle work: full-text indexing, index merges,
 *             retention (delete records older than a time).
 *
 * Ordering: every record has a 64-bit id that sorts like its timestamp
 * (microseconds * 1024 + a tie-breaker), so "newest first" is "id
 * descending" and a cursor is an id. A microsecond holding more than 1024
 * records continues in the ids after its own (the store keeps the largest
 * such overhang, so time windows stay exact: see store_sqlite.c).
 * Batch ids are remembered for NLOGD_BATCH_WINDOW_NS of nlogd's running
 * time (the dedupe window); a batch id must be unique (random) per batch.
 * Thread-safety: append/maintain from one thread only (the writer);
 * query/stats from any number of threads at once (each uses its own
 * read connection). */
#ifndef NLOGD_STORE_H
#define NLOGD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <nlog/status.h>

typedef struct nlogd_store nlogd_store;

/* One parsed record, ready to be stored. Strings are borrowed from the
 * batch's arena; JSON members are compact JSON object texts or NULL. */
typedef struct nlogd_record {
    int64_t ts_ns;
    int level;                 /* nlog_level */
    const char *category;      /* NUL-terminated */
    const char *logger;        /* NUL-terminated ("module") */
    const char *message;
    size_t message_len;        /* bytes (may contain NUL) */
    const char *function;      /* NULL = null */
    int64_t line;              /* -1 = null */
    int64_t pid, tid;          /* -1 = absent */
    const char *context, *metadata, *perf, *extra; /* JSON objects or NULL */
    int64_t id;                /* output: the id the store gave it (set by append on
                                  success; read by the live stream's hook) */
} nlogd_record;

/* One ingest request's records, as the queue carries them. */
typedef struct nlogd_batch {
    nlogd_record *recs;
    size_t n;
    char batch_id[72];         /* "" = none (no dedupe) */
    size_t rejected;           /* reported with a duplicate's original counts */
    /* Results, written by the writer before it signals completion. */
    int duplicate;             /* the batch id had been stored before */
    size_t orig_accepted;      /* for a duplicate: what the first delivery stored */
    nlog_status status;
    struct nlogd_batch *next;
    void *owner;               /* the request's memory (arena), freed by it */
    /* Watched files (watch.c): the file position after these records, stored
     * in the same transaction so a restart neither loses nor repeats lines. */
    const char *watch_path;    /* NULL = not from a watched file */
    uint64_t watch_dev, watch_ino;
    int64_t watch_offset;
    /* Appended members (zero when unused). */
    uint64_t digest;           /* of the request body, 0 = none: a batch id met again with
                                  another digest is a reused id (conflict), not a retry */
    int conflict;              /* result: the batch id was stored before with another digest;
                                  nothing stored (status NLOG_OK) */
    size_t mem_bytes;          /* memory the batch holds until it is stored (records and
                                  their strings): what the queue's byte budget counts */
} nlogd_batch;

/* How long a stored batch id is remembered: a batch re-sent within this
 * much of nlogd's running time is recognised as a duplicate; later it is
 * stored again. Time while nlogd is stopped does not count (a client
 * resending after a long outage is still deduplicated). */
#define NLOGD_BATCH_WINDOW_NS (24LL * 3600 * 1000000000LL)

typedef struct nlogd_filter {
    int min_level;             /* 0: every level */
    int only_level;            /* 0, or exactly this level */
    char category[72];         /* "" = any */
    char logger[260];          /* "" = any */
    int has_start, has_end;
    int64_t start_ns, end_ns;  /* inclusive bounds */
    char search[520];          /* "" = none: words that must all appear */
    int ascending;             /* 0: newest first */
    int has_cursor;
    int64_t cursor_id;         /* continue strictly after this id in the order */
    int need_perf;             /* only records that carry performance_data */
    int max_level;             /* 0: no upper bound; else levels <= this only (the
                                  viewer role never reads SECURITY and AUDIT) */
} nlogd_filter;

typedef struct nlogd_entry {
    int64_t id, ts_ns;
    int level;
    const char *category, *logger, *function; /* function may be NULL */
    const char *message;
    size_t message_len;
    int64_t line, pid, tid;    /* -1 = null/absent */
    const char *context, *metadata, *perf, *extra; /* JSON or NULL */
} nlogd_entry;

/* Receives one entry (valid during the call). Return nonzero to stop. */
typedef int (*nlogd_entry_fn)(const nlogd_entry *e, void *user);

#define NLOGD_STATS_TOP 100 /* loggers listed in stats, most records first */

typedef struct nlogd_count {
    char name[260];
    uint64_t n;
} nlogd_count;

typedef struct nlogd_store_stats {
    uint64_t total;
    uint64_t by_level[8];      /* by nlog_level_index() */
    nlogd_count *categories;   /* malloc'd, n_categories of them */
    size_t n_categories;
    nlogd_count *loggers;      /* the NLOGD_STATS_TOP largest */
    size_t n_loggers, n_loggers_total;
    int has_range;
    int64_t oldest_ns, newest_ns;
    int64_t size_bytes;        /* database + WAL */
    uint64_t fts_pending;      /* records not yet in the text index */
    uint64_t last_minute, last_hour; /* records with timestamps in that window */
} nlogd_store_stats;

/* Opens (creating if needed) the store at `path`. On failure writes the
 * reason into why. */
nlog_status nlogd_store_open(const char *path, nlogd_store **ret_store, char *why,
                             size_t why_size);
/* Closes; NULL is a no-op. No other call may be running. */
void nlogd_store_close(nlogd_store *s);

/* Writer only: stores the batches in one transaction (duplicates detected
 * by batch id are skipped and marked). Returns NLOG_EIO (the transaction
 * rolled back, nothing stored) when the engine fails (disk full). */
nlog_status nlogd_store_append(nlogd_store *s, nlogd_batch *const *batches, size_t n);

/* Writer only: one slice of idle work. `retain_after_ns` (0 = none) deletes
 * records older than it. Sets *ret_more when work is left. */
nlog_status nlogd_store_maintain(nlogd_store *s, int64_t retain_after_ns, int *ret_more);

/* What one call of nlogd_store_maintain_ex() may do, in this order of
 * preference; it does the first kind that has work and returns. */
enum {
    NLOGD_MAINT_RETAIN = 1u << 0,  /* delete records older than retain_after_ns */
    NLOGD_MAINT_BATCHES = 1u << 1, /* forget batch ids older than the dedupe window */
    NLOGD_MAINT_INDEX = 1u << 2,   /* index pending rows (word + secondary indexes) */
    NLOGD_MAINT_MERGE = 1u << 3,   /* one bounded step of word-index segment merging */
    NLOGD_MAINT_ALL = 0xfu,
};

typedef struct nlogd_maint {
    unsigned what;             /* NLOGD_MAINT_* bits */
    int64_t retain_after_ns;   /* 0 = no retention */
    size_t retain_rows;        /* records deleted at most (0 = 5,000) */
    size_t index_rows;         /* pending rows indexed at most (0 = 20,000) */
} nlogd_maint;

/* Writer only: one batch whose records arrive in parts (a large request
 * parsed while its first records are being stored), in a transaction of
 * its own. begin writes nothing of b's records and checks b's batch id
 * (b->duplicate / b->conflict / b->orig_accepted as append); add stores
 * the next part (nothing when b is a duplicate or conflict; sets each
 * record's id); end(commit = 1) writes b's batch-id row with the records
 * added and b->rejected, then commits (b->status); end(commit = 0) rolls
 * everything of b back. After begin, end is called exactly once, also
 * after a failure (which has already rolled back: add and end then report
 * NLOG_EIO). After a commit, stream_committed is called for every part. */
typedef struct nlogd_store_txn nlogd_store_txn;
nlog_status nlogd_store_stream_begin(nlogd_store *s, nlogd_batch *b, nlogd_store_txn **ret);
nlog_status nlogd_store_stream_add(nlogd_store_txn *x, nlogd_record *recs, size_t n);
nlog_status nlogd_store_stream_end(nlogd_store_txn *x, int commit);
void nlogd_store_stream_committed(nlogd_store *s, const nlogd_record *recs, size_t n);

/* Writer only: one bounded slice of maintenance. *ret_did says which kind
 * of work was done (one NLOGD_MAINT_* bit, or 0 when there was none);
 * *ret_more whether any asked-for work is left. */
nlog_status nlogd_store_maintain_ex(nlogd_store *s, const nlogd_maint *m, unsigned *ret_did,
                                    int *ret_more);

/* Records the text index has not caught up with (writer's pacing). */
uint64_t nlogd_store_fts_lag(nlogd_store *s);
/* Any thread: 1 while the index may still have segments to merge (set when
 * a slice adds a segment or at open, cleared when a merge step finds
 * nothing to do). Queries are exact either way; merged, they read fewer
 * segments. */
int nlogd_store_index_merging(nlogd_store *s);

/* Any thread: calls fn for up to `limit` entries (0 = no limit) matching f
 * in its order. *ret_more says whether more entries follow the last one. */
nlog_status nlogd_store_query(nlogd_store *s, const nlogd_filter *f, size_t limit,
                              nlogd_entry_fn fn, void *user, int *ret_more);

/* Any thread. The caller frees out->categories and out->loggers. */
nlog_status nlogd_store_stats_get(nlogd_store *s, int64_t now_ns, nlogd_store_stats *out);
/* The same for a caller bound to levels <= max_level (0 = none, else
 * NLOG_LEVEL_CRITICAL: the viewer's bound, the one the rates histogram
 * keeps apart): the records above it are left out of every figure, and a
 * category or logger that only they have is not listed. */
nlog_status nlogd_store_stats_get_bounded(nlogd_store *s, int64_t now_ns, int max_level,
                                          nlogd_store_stats *out);
void nlogd_store_stats_free(nlogd_store_stats *st);

/* A watched file's position (watch.c), persisted in the store. */
nlog_status nlogd_store_watch_get(nlogd_store *s, const char *path, uint64_t *ret_dev,
                                  uint64_t *ret_ino, int64_t *ret_offset);

/* Whether the engine is usable (health). */
int nlogd_store_ok(nlogd_store *s);

/* For tests only. The number of id look-ups the writer needed beyond the
 * first choice (a collision), since the store was opened: bounded per batch,
 * not per record already stored at that time. */
uint64_t nlogd__store_id_probes(nlogd_store *s);
/* For tests only: the store's wall clock reads now_ns from here on (0 = the
 * real clock again); `started_ns` nonzero also sets when nlogd "started"
 * (the dedupe window counts running time from there). */
void nlogd__store_set_clock(nlogd_store *s, int64_t now_ns, int64_t started_ns);

#endif
