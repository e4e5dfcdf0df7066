/* alert.h (internal): alert definitions, their per-series state machine, and
 * the events they produce.
 *
 * Each alert has one state per matching series (same metric name, and every
 * tag of the alert's filter present with the same value):
 *
 *     OK --sample satisfies--> PENDING (since = its time)
 *     PENDING --sample does not satisfy--> OK                (a spike: nothing)
 *     PENDING --sample satisfies, t - since >= duration,
 *               and t - last firing >= cooldown--> FIRING    (event: firing)
 *     FIRING --sample does not satisfy--> OK                 (event: resolved)
 *
 * Only samples move the machine, with their own (injectable-clock) times,
 * so tests drive it exactly and silence never fires or resolves an alert.
 * Times are MONOTONIC ns (the samples' own clock): a step of the wall clock
 * neither shortens nor stretches a duration or a cooldown. The aggregation
 * thread feeds every series its samples in time order (it merges the
 * threads' buffers); a state also remembers the newest time it has seen and
 * ignores an older sample (one that reached the aggregator after a newer
 * one of the same series had been evaluated), so a stale sample can neither
 * break nor resolve a condition.
 *
 * Alerts live under the store lock (store.h). A removed alert is marked
 * dead at once and freed by the aggregation thread at the start of its next
 * pass, after every event that still points at it has been dispatched.
 *
 * Dispatch: an event is acted on (record, callback, notifications) between
 * nlog__alert_begin() and nlog__alert_end(). begin() refuses a removed
 * alert; while an alert is between the two, nlog_perf_alert_remove() from
 * another thread waits on a condition variable. The dispatch mutex is only
 * held for these few instructions, never while a callback runs, and the
 * fork handlers take and re-initialise it (nlog__alert_atfork_*).
 * Tested by: tests/unit/perf/test_alert.c, test_concurrency_perf.c */
#ifndef NLOG_PERF_ALERT_H
#define NLOG_PERF_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include <nlog/perf.h>

#include "perf/store.h"

typedef struct nlog__alert {
    struct nlog__alert *next;
    uint64_t id;
    int alive;                /* atomic: 0 once removed */
    char *name;               /* never NULL */
    char *metric;
    nlog_tag tags[NLOG_PERF_TAGS_MAX];
    size_t n_tags;
    double threshold;
    nlog_compare cmp;
    int64_t duration_ns;
    int64_t cooldown_ns;
    nlog_alert_fn cb;
    void *user;
    int notify;
    char mem[];               /* name, metric and tag strings */
} nlog__alert;

enum { NLOG__ASTATE_OK = 0, NLOG__ASTATE_PENDING = 1, NLOG__ASTATE_FIRING = 2 };

typedef struct nlog__astate {
    struct nlog__astate *next; /* the series' states */
    nlog__alert *alert;
    int state;
    int fired;                 /* it has fired at least once (cooldown applies) */
    int seen;                  /* last_ns is set */
    int64_t since_ns;          /* monotonic */
    int64_t last_fire_ns;      /* monotonic */
    int64_t last_ns;           /* monotonic: the newest sample evaluated */
} nlog__astate;

/* One transition, as the aggregation thread dispatches it. */
typedef struct nlog__alert_ev {
    nlog__alert *alert;
    nlog__series *series;
    nlog_alert_state state;
    double value;
    int64_t t_ns;              /* monotonic */
    int64_t since_ns;          /* monotonic */
} nlog__alert_ev;

typedef struct nlog__alert_evs {
    nlog__alert_ev *v;
    size_t n, cap;
} nlog__alert_evs;

/* Whether `v cmp threshold` holds. */
int nlog__alert_holds(nlog_compare cmp, double v, double threshold);

/* One sample at monotonic time t (ns) through the machine. Returns 0, or
 * NLOG_ALERT_FIRING / NLOG_ALERT_RESOLVED for a transition. A sample older
 * than the newest one the state has seen is ignored (returns 0). Pure. */
int nlog__alert_step(nlog__astate *st, const nlog__alert *a, int64_t t, double v);

/* Locked (store). Runs every alert of series s on a sample and appends the
 * transitions to evs (those that do not fit in memory are lost and counted
 * in *lost). */
void nlog__alerts_eval(nlog__series *s, int64_t t, double v, nlog__alert_evs *evs,
                       uint64_t *lost);

/* Locked (store). Gives a new series the states of the alerts it matches. */
void nlog__alerts_attach(nlog__series *s);
/* Locked (store). Frees the states of a series. */
void nlog__alert_states_free(nlog__series *s);
/* Locked (store). Frees every alert (shutdown). */
void nlog__alerts_reset_locked(void);
/* Aggregation thread, no lock held: frees removed alerts. */
void nlog__alerts_collect(void);

/* Aggregation thread: returns 1 and marks `a` in flight if it is still
 * alive (the caller then acts on its event and calls nlog__alert_end()), 0
 * if it was removed (the event is dropped: no record, callback or
 * notification). */
int nlog__alert_begin(nlog__alert *a);
void nlog__alert_end(nlog__alert *a);
/* Calls the callback of a (between begin and end). */
void nlog__alert_call(const nlog_alert_event *ev, const nlog__alert *a);

/* Frees an event list's storage. */
void nlog__alert_evs_free(nlog__alert_evs *evs);

/* Fills the public view of a transition; valid while ev's alert and series
 * are. `offset_ns` (realtime - monotonic) turns its times into UTC. */
void nlog__alert_event_view(const nlog__alert_ev *ev, int64_t offset_ns, nlog_alert_event *out);

/* fork() handlers for the dispatch lock (called by engine.c in lock order). */
void nlog__alert_atfork_prepare(void);
void nlog__alert_atfork_parent(void);
void nlog__alert_atfork_child(void);

#endif /* NLOG_PERF_ALERT_H */
