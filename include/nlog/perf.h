/* perf.h: performance monitoring — timers, custom metrics, counters and
 * gauges, system metrics, history queries and trends, alerts, and export.
 *
 *     NLOG_TIMED("database_query", NLOG_TAG("table", "users")) {
 *         rows = db_query("SELECT * FROM users");
 *     }
 *     nlog_record_metric("active_users", 1250, "count");
 *     nlog_record_metric("response_size", 2048, "bytes", NLOG_TAG("endpoint", "/api/users"));
 *
 * A sample is a metric name, a value, a unit and up to NLOG_PERF_TAGS_MAX
 * tags (key=value pairs). Each distinct name + tag set is one series; tags
 * are compared as a set (order does not matter). Recording a sample costs
 * the calling thread a clock read and a copy into its own bounded buffer: it
 * takes no lock and never waits; its only possible system call is one
 * semaphore post (a futex wake) when its buffer passes half full while the
 * aggregation thread sleeps, at most once per aggregation pass. A thread's
 * first sample pays more (see nlog_perf_thread_prepare()). One aggregation
 * thread per process drains the buffers (merged in time order), keeps a
 * bounded history per series (recent raw samples plus 1-minute and 1-hour
 * rollups), evaluates alerts, ingests what a collector thread samples from
 * the system every `performance_interval` seconds (with
 * `performance_enabled`) and turns samples into records of category
 * `performance` (logger "performance", fields in `performance_data`), at
 * `performance_record_level`, one per `performance_record_every` samples of
 * a series. docs/internals/perf.md describes the design.
 *
 * Names: metric names match [a-zA-Z_:][a-zA-Z0-9_:]* and are at most
 * NLOG_PERF_NAME_MAX bytes; tag keys match [a-zA-Z_][a-zA-Z0-9_]* (at most
 * NLOG_PERF_TAG_KEY_MAX bytes) and must differ within a sample; tag values
 * are any text of at most NLOG_PERF_TAG_VALUE_MAX bytes; units at most
 * NLOG_PERF_UNIT_MAX bytes of [a-zA-Z0-9_%/.-]. These are the Prometheus
 * rules, so every name exports unchanged. Reserved, so that the Prometheus
 * exposition stays valid (NLOG_EINVAL, nlog_errmsg() says why): metric
 * names starting with "nlog_" (the library's own metrics), tag keys starting
 * with "__", the tag key "quantile" on timers and values (their summaries
 * use it), and a name whose exported form another metric already has (a
 * counter `req` is exported as `req_total`, a timer or value `t` also as
 * `t_sum` and `t_count`: a gauge `req_total` or `t_sum` is then refused, and
 * the other way round). A metric name has one kind (timer, value, gauge or
 * counter) and one unit: the first sample decides.
 *
 * Times: durations are seconds (double) measured with the monotonic clock,
 * at nanosecond resolution; points in time are int64_t ns since the Unix
 * epoch (UTC). A sample's own time has the resolution of the coarse
 * monotonic clock (1 to 4 ms); a timer's sample is stamped with its precise
 * stop time. Alert durations and cooldowns are measured on the samples'
 * monotonic times, so stepping the wall clock does not change them; the
 * history and the records get UTC (monotonic time plus the wall clock's
 * offset when the sample is aggregated).
 *
 * Thread-safety: every function here may be called from any thread at any
 * time between initialisation and nlog_shutdown(), which frees every series,
 * alert and handle (the library may be initialised again afterwards). The
 * first call in a process that has not called nlog_init() initialises the
 * library from the environment, like nlog_get_logger(). */
#ifndef NLOG_PERF_H
#define NLOG_PERF_H

#include <stddef.h>
#include <stdint.h>

#include <nlog/export.h>
#include <nlog/status.h>

NLOG_BEGIN_DECLS

#define NLOG_PERF_NAME_MAX 128      /* bytes of a metric name */
#define NLOG_PERF_UNIT_MAX 32       /* bytes of a unit */
#define NLOG_PERF_TAGS_MAX 8        /* tags per sample */
#define NLOG_PERF_TAG_KEY_MAX 64    /* bytes of a tag key */
#define NLOG_PERF_TAG_VALUE_MAX 256 /* bytes of a tag value */
#define NLOG_PERF_ALERTS_MAX 1024   /* alerts registered at once */

/* One tag. Both strings are borrowed for the duration of the call that
 * takes them (timers: until nlog_timer_stop()). */
typedef struct nlog_tag {
    const char *key;
    const char *value;
} nlog_tag;

/* What a series measures; decides its statistics and its export type. */
typedef enum nlog_metric_kind {
    NLOG_METRIC_TIMER = 1,   /* durations in seconds (timers); exported as a summary */
    NLOG_METRIC_VALUE = 2,   /* any measured value (nlog_record_metric); a summary */
    NLOG_METRIC_GAUGE = 3,   /* a level that goes up and down; exported as its last value */
    NLOG_METRIC_COUNTER = 4  /* increments (>= 0) of a total; exported as the total */
} nlog_metric_kind;

/* ---- recording ------------------------------------------------------------ */

/* Records one sample of `kind` for the series name + tags. `unit` may be
 * NULL (none); timers always use "seconds". `value` must be finite, and
 * >= 0 for a counter. Strings are borrowed for the call only.
 * Returns NLOG_OK, NLOG_EINVAL (a bad or reserved name, tag, unit or value;
 * nothing is recorded and nlog_errmsg() says what and what is accepted),
 * NLOG_EQUEUE_FULL (the thread's buffer was full: the sample was dropped and
 * counted), or NLOG_ENOMEM (the thread's first buffer could not be
 * allocated). A sample the aggregation thread refuses later (a kind
 * conflict, an exported name another metric has, the series or memory cap)
 * is counted in samples_rejected and reported once through the diagnostics
 * callback. Cost: one pass over the strings (copied and checked at once) and
 * a coarse clock read; no lock, no wait; a system call only as described at
 * the top (docs/PERFORMANCE.md). Since: 0.1 */
NLOG_API nlog_status nlog_perf_record(const char *name, nlog_metric_kind kind, double value,
                                      const char *unit, const nlog_tag *tags, size_t n_tags);

#ifndef __cplusplus
/* Internal: the tag list of the macros below, as a compound literal with a
 * terminating entry so that it may be empty in strict C11. */
#define NLOG__TAG_END ((nlog_tag){0, 0})
#define NLOG__TAGS(...) (const nlog_tag[]){__VA_ARGS__}, \
    (sizeof((const nlog_tag[]){__VA_ARGS__}) / sizeof(nlog_tag) - 1)
#define NLOG__PERF_REC(kind, name, value, unit, ...) \
    nlog_perf_record((name), (kind), (double) (value), (unit), NLOG__TAGS(__VA_ARGS__))

/* A tag: NLOG_TAG("endpoint", "/api/users"). */
#define NLOG_TAG(key, value) ((nlog_tag){(key), (value)})

/* nlog_record_metric(name, value, unit [, NLOG_TAG(k, v)...]): a custom
 * metric (NLOG_METRIC_VALUE). Evaluates to an nlog_status. */
#define nlog_record_metric(name, ...) NLOG__PERF_REC(NLOG_METRIC_VALUE, name, __VA_ARGS__, NLOG__TAG_END)
/* nlog_gauge_set(name, value, unit [, tags...]): the current level of a gauge. */
#define nlog_gauge_set(name, ...) NLOG__PERF_REC(NLOG_METRIC_GAUGE, name, __VA_ARGS__, NLOG__TAG_END)
/* nlog_counter_add(name, increment, unit [, tags...]): adds to a counter. */
#define nlog_counter_add(name, ...) NLOG__PERF_REC(NLOG_METRIC_COUNTER, name, __VA_ARGS__, NLOG__TAG_END)
#endif

/* A handle on one series, for hot paths: the name and tags are checked and
 * interned once, and each sample then costs a clock read and a 32-byte copy.
 * Owned by the library; valid until nlog_shutdown(). */
typedef struct nlog_metric nlog_metric;

/* Finds or creates the series name + tags of `kind` and returns its handle
 * in *ret_metric (untouched on failure). Returns NLOG_EINVAL for bad names,
 * tags or unit, or a name already used with another kind; NLOG_ELIMIT when
 * `performance_max_series` or the history memory cap is reached; NLOG_ENOMEM.
 * Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_metric_get(const char *name, nlog_metric_kind kind,
                                                    const char *unit, const nlog_tag *tags,
                                                    size_t n_tags, nlog_metric **ret_metric);

/* Records `value` for the series of `m` (rules and results as for
 * nlog_perf_record()). Since: 0.1 */
NLOG_API nlog_status nlog_metric_observe(nlog_metric *m, double value);

/* Pays now, on the calling thread, what its first sample would otherwise
 * pay: initialising the library if nothing did yet (nlog__ensure_init:
 * from the environment), allocating the thread's sample buffer
 * (`performance_buffer_size`: calloc plus an aligned allocation, typically
 * an mmap() system call), taking the engine lock once to register it, a
 * pthread_setspecific(), and for the first thread of the process starting
 * the aggregation thread (pthread_create()). The same happens again on the
 * first sample after nlog_shutdown() or after performance_buffer_size
 * changed. Call it at the start of a latency-sensitive thread; every later
 * sample takes the lock-free path described at the top. Returns NLOG_OK or
 * NLOG_ENOMEM. Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_perf_thread_prepare(void);

/* ---- timers ----------------------------------------------------------------- */

/* A running timer: caller-owned storage, typically on the stack. Its members
 * are private. */
typedef struct nlog_timer {
    int64_t start_ns;      /* monotonic */
    const char *name;      /* borrowed until stop */
    const nlog_tag *tags;  /* borrowed until stop */
    size_t n_tags;
    nlog_metric *metric;   /* or a series handle */
    int state;             /* private */
} nlog_timer;

/* Starts a timer for series name + tags (borrowed until nlog_timer_stop()).
 * This function can't fail; a bad name is reported when the timer stops.
 * Since: 0.1 */
NLOG_API void nlog_timer_start(nlog_timer *t, const char *name, const nlog_tag *tags,
                               size_t n_tags);
/* Starts a timer that records into the series of handle `m` (a timer kind). */
NLOG_API void nlog_timer_start_metric(nlog_timer *t, nlog_metric *m);
/* Seconds since the timer started (it keeps running). */
NLOG_API double nlog_timer_elapsed(const nlog_timer *t);
/* Stops the timer, records its duration as a sample of kind
 * NLOG_METRIC_TIMER and returns it in seconds. A timer that is not running
 * (never started, stopped or cancelled) records nothing and returns -1. A
 * sample that cannot be recorded (a bad name, a handle that is not a
 * timer's) is counted in samples_rejected and reported once through the
 * diagnostics callback; the duration is still returned. Since: 0.1 */
NLOG_API double nlog_timer_stop(nlog_timer *t);
/* Stops the timer without recording anything. */
NLOG_API void nlog_timer_cancel(nlog_timer *t);
/* Stops the timer if it still runs (the NLOG_TIMED cleanup). */
NLOG_API void nlog_timer_cleanup(nlog_timer *t);

#if !defined(__cplusplus) && (defined(__GNUC__) || defined(__clang__))
#define NLOG__CAT2(a, b) a##b
#define NLOG__CAT(a, b) NLOG__CAT2(a, b)
#define NLOG__UNIQ(p) NLOG__CAT(p, __COUNTER__)
#define NLOG__TIMED(var, name, ...)                                                      \
    for (nlog_timer var __attribute__((cleanup(nlog_timer_cleanup))) =                   \
             nlog__timer_begin((name), NLOG__TAGS(__VA_ARGS__));                         \
         var.state == 1; var.state = 2)
#define NLOG__TIME_SCOPE(var, name, ...)                                                 \
    nlog_timer var __attribute__((cleanup(nlog_timer_cleanup), unused)) =               \
        nlog__timer_begin((name), NLOG__TAGS(__VA_ARGS__))

/* NLOG_TIMED(name [, NLOG_TAG(k, v)...]) { block }: times the block and
 * records its duration when control leaves it — at its end, or by return or
 * goto — like the product's `with timer(...)`. The block runs once.
 * GNU C (gcc, clang): it uses the cleanup attribute.
 *
 * LIMITATION: the macro is a one-pass `for` statement, so a `break` or
 * `continue` inside the block ends the TIMED BLOCK ONLY (it is recorded);
 * it does not reach an enclosing loop or switch, and the code after the
 * block runs. Where the block must break out of a loop, time a plain block
 * with NLOG_TIME_SCOPE instead, which leaves break and continue alone:
 *
 *     for (...) {
 *         {
 *             NLOG_TIME_SCOPE("database_query");
 *             if (!connected)
 *                 break;          // leaves the for loop; the time is recorded
 *             rows = db_query(...);
 *         }
 *     }
 */
#define NLOG_TIMED(...) NLOG__TIMED(NLOG__UNIQ(nlog__timed_), __VA_ARGS__, NLOG__TAG_END)

/* NLOG_TIME_SCOPE(name [, tags...]);  at the top of a function (or any
 * block): times the rest of the enclosing scope, whatever path leaves it.
 * This is the stand-in for the product's @time_function decorator:
 *
 *     bool authenticate_user(const char *user, const char *password)
 *     {
 *         NLOG_TIME_SCOPE("user_authentication");
 *         ...
 *     }
 */
#define NLOG_TIME_SCOPE(...) NLOG__TIME_SCOPE(NLOG__UNIQ(nlog__scope_), __VA_ARGS__, NLOG__TAG_END)

/* NLOG_TIME_FUNCTION(name, ret, fn, (params), (args)) { body }: defines
 * function `fn` whose every call is timed as metric `name`; the body is the
 * function's own. For a function returning void use NLOG_TIME_VOID_FUNCTION.
 *
 *     NLOG_TIME_FUNCTION("user_authentication", bool, authenticate_user,
 *                        (const char *user, const char *password), (user, password))
 *     {
 *         return check(user, password);
 *     }
 */
#define NLOG_TIME_FUNCTION(name, ret, fn, params, args)                                  \
    static ret NLOG__CAT(fn, __nlog_timed) params;                                       \
    ret fn params                                                                        \
    {                                                                                    \
        NLOG_TIME_SCOPE(name);                                                           \
        return NLOG__CAT(fn, __nlog_timed) args;                                         \
    }                                                                                    \
    static ret NLOG__CAT(fn, __nlog_timed) params
#define NLOG_TIME_VOID_FUNCTION(name, fn, params, args)                                  \
    static void NLOG__CAT(fn, __nlog_timed) params;                                      \
    void fn params                                                                       \
    {                                                                                    \
        NLOG_TIME_SCOPE(name);                                                           \
        NLOG__CAT(fn, __nlog_timed) args;                                                \
    }                                                                                    \
    static void NLOG__CAT(fn, __nlog_timed) params
#endif

/* Internal: the initialiser the macros use. */
NLOG_API nlog_timer nlog__timer_begin(const char *name, const nlog_tag *tags, size_t n_tags);

/* ---- alerts ----------------------------------------------------------------- */

typedef enum nlog_compare {
    NLOG_CMP_GT = 1, /* value >  threshold ("gt", ">")  */
    NLOG_CMP_GE = 2, /* value >= threshold ("ge", ">=") */
    NLOG_CMP_LT = 3, /* value <  threshold ("lt", "<")  */
    NLOG_CMP_LE = 4, /* value <= threshold ("le", "<=") */
    NLOG_CMP_EQ = 5, /* value == threshold ("eq", "==") */
    NLOG_CMP_NE = 6  /* value != threshold ("ne", "!=") */
} nlog_compare;

/* Parses "gt", "ge", "lt", "le", "eq", "ne" (any case) or the operators
 * shown above. Returns NLOG_OK or NLOG_EINVAL. Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_compare_parse(const char *text, nlog_compare *ret_cmp);
/* "gt", "ge", ...; "?" for an unknown value. */
NLOG_API const char *nlog_compare_name(nlog_compare cmp);

typedef enum nlog_alert_state {
    NLOG_ALERT_FIRING = 1,  /* the condition has held for `duration` */
    NLOG_ALERT_RESOLVED = 2 /* a sample no longer satisfies it */
} nlog_alert_state;

/* What an alert callback receives. Every pointer is valid during the call
 * only. */
typedef struct nlog_alert_event {
    uint64_t alert_id;
    const char *alert_name;
    nlog_alert_state state;
    const char *metric;
    const char *unit;             /* "" if none */
    const nlog_tag *tags;         /* the series' tags, sorted by key */
    size_t n_tags;
    double value;                 /* the sample that fired or resolved the alert */
    double threshold;
    nlog_compare compare;
    int64_t time_ns;              /* when that sample was taken (UTC ns) */
    int64_t since_ns;             /* when the condition started to hold (UTC ns);
                                     time_ns - since_ns is measured on the
                                     monotonic clock */
    int64_t duration_ns;          /* the alert's configured duration */
} nlog_alert_event;

/* Called on the aggregation thread, with no library lock held: it may log,
 * record metrics, query, export, and add or remove alerts, but should return
 * quickly (aggregation waits for it; nlog_perf_flush() in other threads
 * gives up after its deadline). It must not stop or reconfigure the library:
 * nlog_shutdown() is refused there, nlog_init() and nlog_set_profile()
 * return NLOG_ESTATE. */
typedef void (*nlog_alert_fn)(const nlog_alert_event *event, void *user);

typedef struct nlog_alert_config {
    size_t struct_size;      /* set by nlog_alert_config_init() */
    const char *name;        /* label in records, e-mails and events; NULL: "<metric> <op>
                                <threshold>". Copied. */
    const char *metric;      /* metric name (required). Copied. */
    const nlog_tag *tags;    /* filter: only series that have all these tags. Copied. */
    size_t n_tags;
    double threshold;
    nlog_compare compare;    /* default NLOG_CMP_GT */
    int64_t duration_ns;     /* ns the condition must hold before firing; default 0 */
    int64_t cooldown_ns;     /* ns after a firing during which the series cannot fire
                                again; default 0 */
    nlog_alert_fn callback;  /* may be NULL */
    void *user;              /* passed to callback */
    int notify;              /* 1 (default): also e-mail and webhook, when configured */
} nlog_alert_config;

/* Fills the defaults above. This function can't fail. Since: 0.1 */
NLOG_API void nlog_alert_config_init(nlog_alert_config *cfg);

/* Adds an alert, evaluated per series on every sample of a matching series,
 * in the samples' time order (also across recording threads): it fires once
 * when the condition has held (every sample satisfying it) for at least
 * `duration_ns` — so a spike shorter than the duration does not fire — and
 * resolves once, on the first sample that no longer satisfies it. A sample
 * older than one the alert already saw for that series (it reached the
 * aggregation thread late: its thread was preempted between reading the
 * clock and committing it) is kept in the history but moves no alert.
 * A series that fired cannot fire again until `cooldown_ns` has passed. Both
 * transitions call the callback, are logged as WARNING (firing) and INFO
 * (resolved) records of category `performance`, and, with `alerts_enabled`,
 * are e-mailed (alert_email via alert_smtp_url) and posted to
 * alert_webhook_url. Returns NLOG_OK with the alert's id in *ret_id (may be
 * NULL), NLOG_EINVAL (nlog_errmsg() says what), NLOG_ELIMIT beyond
 * NLOG_PERF_ALERTS_MAX. Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_perf_alert(const nlog_alert_config *cfg,
                                                    uint64_t *ret_id);

/* Removes an alert. Once it returns, nothing of it is in progress or will
 * happen again — no callback, no record, no notification, also for a
 * transition computed before the call — unless it is called from an alert
 * callback (which does not wait for itself: the current event finishes).
 * It waits for an event of this alert being acted on, without a time bound.
 * Returns NLOG_ENOTFOUND for an unknown id. Since: 0.1 */
NLOG_API nlog_status nlog_perf_alert_remove(uint64_t id);

/* ---- queries ---------------------------------------------------------------- */

typedef struct nlog_perf_query {
    size_t struct_size;      /* set by nlog_perf_query_init() */
    const char *metric;      /* required */
    const nlog_tag *tags;    /* only series with all these tags; all series when 0 */
    size_t n_tags;
    int64_t window_ns;       /* length of the window, 1 ns .. NLOG_PERF_WINDOW_MAX; default
                                5 minutes */
    int64_t end_ns;          /* end of the window (UTC ns), 0 .. NLOG_PERF_END_MAX; 0
                                (default): now */
    double stable_percent;   /* trend: a change from the first to the last point of the data
                                within this percentage of the scale (the larger of |mean| and
                                max - min) is "stable"; default 5 */
} nlog_perf_query;

#define NLOG_PERF_WINDOW_MAX (INT64_C(100) * 366 * 86400 * 1000000000) /* about 100 years */
#define NLOG_PERF_END_MAX (INT64_C(4102444800) * 1000000000)            /* 2100-01-01 UTC */

/* Statistics of one window over every matching series. */
typedef struct nlog_perf_summary {
    uint64_t count;          /* samples */
    double sum, min, max, mean;
    double p50, p90, p95, p99;   /* from the merged histogram: within 0.79% of the exact
                                    nearest-rank value (docs/internals/perf.md) */
    double per_second;       /* counters: sum per second; others: samples per second, over
                                [start_ns, end_ns] */
    int64_t start_ns;        /* the part of the window that every matching series covers
                                completely (rounded inward to whole minutes or hours */
    int64_t end_ns;          /* where raw samples are gone); start_ns > end_ns: none of it */
    uint32_t series;         /* series that matched */
    int exact;               /* 1: raw samples only (no rollup needed) */
} nlog_perf_summary;

typedef enum nlog_trend_direction {
    NLOG_TREND_UNKNOWN = 0,  /* fewer than two points in time */
    NLOG_TREND_STABLE = 1,
    NLOG_TREND_RISING = 2,
    NLOG_TREND_FALLING = 3
} nlog_trend_direction;

typedef struct nlog_perf_trend {
    double slope_per_minute;       /* least-squares slope of value over time, per minute */
    nlog_trend_direction direction;
    uint64_t previous_count;       /* samples in the previous window of the same length */
    double previous_mean;          /* NaN when previous_count is 0 */
    double change;                 /* mean - previous mean; NaN without a previous window */
    double change_percent;         /* 100 * change / |previous mean|; NaN if undefined */
} nlog_perf_trend;

/* Fills the defaults above. Since: 0.1 */
NLOG_API void nlog_perf_query_init(nlog_perf_query *q);
/* "unknown", "stable", "rising", "falling". */
NLOG_API const char *nlog_trend_name(nlog_trend_direction d);

/* Computes the window's summary and trend (either pointer may be NULL).
 * Every sample recorded by any thread before the call is included, unless
 * the flush it starts with times out (see nlog_perf_flush(); what is
 * aggregated by then is used). Returns NLOG_OK, NLOG_ENOTFOUND when no
 * series matches, NLOG_EINVAL (also for a window or end out of range),
 * NLOG_ENOMEM. Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_perf_query_run(const nlog_perf_query *q,
                                                        nlog_perf_summary *ret_summary,
                                                        nlog_perf_trend *ret_trend);

/* Waits until every sample recorded before the call has been aggregated
 * (alerts evaluated, records logged), at most 10 seconds: the aggregation
 * thread may be held by a slow alert callback or a slow output of the
 * performance records. Returns NLOG_OK, NLOG_ETIMEDOUT (nlog_errmsg() says
 * so; the samples are aggregated later), or NLOG_ESTATE (the aggregation
 * thread could not be started). From an alert callback it returns NLOG_OK
 * at once (that pass is the caller's own). Since: 0.1 */
NLOG_API nlog_status nlog_perf_flush(void);

/* ---- export ----------------------------------------------------------------- */

/* The Prometheus text exposition (format 0.0.4) of every series and of the
 * library's own counters, in *ret_text (NUL-terminated, *ret_len bytes
 * without the NUL; free it with nlog_perf_free()). Timers and values are
 * summaries (quantiles over the last 5 minutes, _sum and _count since
 * start), gauges their last value, counters their total. Returns NLOG_OK,
 * NLOG_ENOMEM, or NLOG_ELIMIT beyond 64 MiB of text. Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_perf_prometheus(char **ret_text, size_t *ret_len);

typedef struct nlog_perf_json_opts {
    size_t struct_size;       /* set by nlog_perf_json_opts_init() */
    const char *metric_names; /* comma-separated metric names ("response_time,cpu_usage"),
                                 as in ?metric_names=; NULL or "" = every metric */
    int64_t window_ns;        /* summaries, trends and points cover this, 1 ns ..
                                 NLOG_PERF_WINDOW_MAX; default 1 hour */
    size_t max_points;        /* raw points per series, newest kept; default 100, 0 = none */
    size_t max_rollups;       /* minute rollups per series, newest kept; default 60, 0 = none */
} nlog_perf_json_opts;

/* Fills the defaults above. Since: 0.1 */
NLOG_API void nlog_perf_json_opts_init(nlog_perf_json_opts *opts);

/* A JSON snapshot: {"generated_at", "window_seconds", "metrics": [{"name",
 * "type", "unit", "summary", "trend", "series": [{"tags", "summary",
 * "points", "rollups"}]}], "not_found": [...]} (docs/internals/perf.md has
 * the full shape). The body of GET /api/v2/logs/performance/metrics.
 * `opts` may be NULL. Returns NLOG_EINVAL for a malformed metric_names list
 * (nlog_errmsg() says where), NLOG_ENOMEM, NLOG_ELIMIT beyond 64 MiB.
 * Free the text with nlog_perf_free(). Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_perf_json(const nlog_perf_json_opts *opts,
                                                   char **ret_text, size_t *ret_len);

/* Frees text returned by nlog_perf_prometheus() / nlog_perf_json(). NULL is
 * a no-op. Since: 0.1 */
NLOG_API void nlog_perf_free(void *p);

/* ---- counters --------------------------------------------------------------- */

typedef struct nlog_perf_counters {
    size_t struct_size;             /* set by the caller: sizeof(nlog_perf_counters) */
    uint64_t samples;               /* samples aggregated */
    uint64_t samples_dropped;       /* dropped: a thread's buffer was full */
    uint64_t samples_rejected;      /* dropped: series cap, memory cap or kind conflict */
    uint64_t series;                /* series now kept */
    uint64_t history_bytes;         /* bytes the history takes now */
    uint64_t evicted_rollups;       /* minute and hour rollups evicted by the memory cap */
    uint64_t evicted_samples;       /* raw samples evicted by the memory cap, or by a lowered
                                       performance_raw_samples (the rollups keep them) */
    uint64_t records;               /* performance records logged */
    uint64_t collections;           /* system metric collections (the collector thread's) */
    uint64_t collection_errors;     /* /proc or statvfs reads that failed */
    uint64_t alerts_fired;
    uint64_t alerts_resolved;
    uint64_t notifications_sent;    /* e-mails and webhook posts delivered */
    uint64_t notifications_retried; /* failed attempts that were retried */
    uint64_t notifications_failed;  /* given up when the retry budget (15 min) was spent, or
                                       refused for good */
    uint64_t notifications_dropped; /* refused: the delivery queue was full, or shutdown */
} nlog_perf_counters;

/* Copies the counters (up to out->struct_size bytes). Counters other than
 * `series` and `history_bytes` start at 0 with the process and are never
 * reset. Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_perf_stats(nlog_perf_counters *out);

NLOG_END_DECLS

#endif /* NLOG_PERF_H */
