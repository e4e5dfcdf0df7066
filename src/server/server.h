/* server.h: what the parts of nlogd share — its settings, the store, the
 * queue, the HTTP context and the counters behind /api/v2/logs/stats and
 * /metrics. One nlogd_server exists per process (main.c). */
#ifndef NLOGD_SERVER_H
#define NLOGD_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <nlog/config.h>

#include "server/auth.h"
#include "server/queue.h"
#include "server/ratelimit.h"
#include "server/store.h"

/* Counters, updated with relaxed atomics (nlogd_count()). */
typedef struct nlogd_counters {
    uint64_t http_requests;
    uint64_t http_4xx, http_5xx;
    uint64_t ingest_requests;
    uint64_t records_received;   /* records seen in ingest bodies and watched files */
    uint64_t records_accepted;   /* stored */
    uint64_t records_rejected;   /* refused as bad input (per-record errors) */
    uint64_t records_duplicate;  /* in batches stored before (retries) */
    uint64_t records_throttled;  /* in requests answered 429 (queue full) */
    uint64_t records_failed;     /* the store could not take them (answered 503) */
    uint64_t bytes_received;     /* request bodies, after gzip decoding */
    uint64_t export_records;
    uint64_t watch_records;
    /* access control and nlogd's own records (selflog.c) */
    uint64_t auth_refused;           /* 401 answers */
    uint64_t auth_forbidden;         /* 403 answers */
    uint64_t rate_limited;           /* 429 answers for a key over server.rate_limit */
    uint64_t security_events;        /* refused requests handed to the security-event writer */
    uint64_t security_events_failed; /* records of those the store did not take */
    uint64_t audit_records;          /* AUDIT records written (exports, queries, changes) */
    uint64_t audit_failed;           /* of those, not stored: the action was refused (503) */
} nlogd_counters;

#define nlogd_count(srv, member, n) \
    ((void) __atomic_fetch_add(&(srv)->counters.member, (uint64_t) (n), __ATOMIC_RELAXED))
#define nlogd_counter(srv, member) __atomic_load_n(&(srv)->counters.member, __ATOMIC_RELAXED)

/* Text appended to /metrics by other modules (the performance module's
 * seam): writes Prometheus text lines into buf. */
struct nlogd_buf;
typedef void (*nlogd_metrics_fn)(void *user, struct nlogd_buf *buf);

typedef struct nlogd_server {
    nlog_config cfg;             /* resolved: server_* members are nlogd's settings */
    nlogd_store *store;
    nlogd_queue *queue;
    struct mg_context *http;
    struct nlogd_watchdog *watchdog; /* ends body reads past their deadline (http/deadline.h) */
    int port;                    /* the port actually listened on */
    int http_ready;              /* atomic: the handlers are installed (router.c) */
    int64_t started_ns;          /* CLOCK_REALTIME */
    int64_t started_mono_ns;     /* CLOCK_MONOTONIC, for uptime */
    nlogd_counters counters;
    nlogd_metrics_fn metrics_extra[4];
    void *metrics_extra_user[4];
    /* Access control, nlogd's own records and live streaming (issue 8). */
    nlogd_keyset keys;           /* server.api_keys_file; no keys = open (loopback only) */
    nlogd_ratelimit *rate;       /* server.rate_limit per key */
    struct nlogd_selflog *selflog;
    struct nlogd_hub *hub;       /* live stream fan-out (live_hub.h) */
    struct nlogd_ws *ws;         /* live stream connections (ws_stream.c) */
    int tls;                     /* listening with TLS (server.tls_certificate) */
} nlogd_server;

int64_t nlogd_now_ns(void);        /* CLOCK_REALTIME, ns */
double nlogd_uptime_s(const nlogd_server *srv);

#endif
