/* selflog.c: nlogd's own SECURITY and AUDIT records (see selflog.h).
 * Pending security events live in a fixed array under one mutex; the
 * flusher thread swaps it out and stores it as one batch through the queue
 * (blocking for room: these records are never refused for a full queue).
 * Tested by: tests/integration/server/test_live.py (roles, audit) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nlog/level.h>
#include <nlog/nlog.h>

#include "server/buf.h"
#include "server/server.h"
#include "server/selflog.h"

#define PENDING_MAX 256
#define FLUSH_NS 100000000LL

typedef struct event {
    char type[24], severity[12];
    char user[80], ip[64], method[16], path[256], reason[256];
    int status, has_user;
    unsigned long long count;
    int64_t first_ns, last_ns;
} event;

struct nlogd_selflog {
    nlogd_server *srv;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    event pending[PENDING_MAX];
    size_t n;
    unsigned long long other;   /* events beyond PENDING_MAX distinct ones */
    int64_t other_first, other_last;
    int stop;
    pthread_t thread;
};

static void cut(char *dst, size_t size, const char *s)
{
    snprintf(dst, size, "%s", s ? s : "");
}

void nlogd_security_event(nlogd_selflog *sl, const char *event_type, const char *severity,
                          const char *user, const char *ip, const char *method,
                          const char *path, int status, const char *reason)
{
    if (!sl)
        return;
    int64_t now = nlogd_now_ns();
    nlogd_count(sl->srv, security_events, 1);
    pthread_mutex_lock(&sl->lock);
    event *hit = NULL;
    for (size_t i = 0; i < sl->n && !hit; i++) {
        event *e = &sl->pending[i];
        if (e->status == status && strcmp(e->type, event_type) == 0 &&
            strcmp(e->ip, ip ? ip : "") == 0 && e->has_user == (user != NULL) &&
            strcmp(e->user, user ? user : "") == 0 && strcmp(e->method, method ? method : "") == 0 &&
            strncmp(e->path, path ? path : "", sizeof e->path - 1) == 0)
            hit = e;
    }
    if (hit) {
        hit->count++;
        hit->last_ns = now;
    } else if (sl->n < PENDING_MAX) {
        event *e = &sl->pending[sl->n++];
        memset(e, 0, sizeof *e);
        cut(e->type, sizeof e->type, event_type);
        cut(e->severity, sizeof e->severity, severity);
        cut(e->user, sizeof e->user, user);
        e->has_user = user != NULL;
        cut(e->ip, sizeof e->ip, ip);
        cut(e->method, sizeof e->method, method);
        cut(e->path, sizeof e->path, path);
        cut(e->reason, sizeof e->reason, reason);
        e->status = status;
        e->count = 1;
        e->first_ns = e->last_ns = now;
    } else {
        if (!sl->other)
            sl->other_first = now;
        sl->other++;
        sl->other_last = now;
    }
    pthread_cond_signal(&sl->wake);
    pthread_mutex_unlock(&sl->lock);
}

static void str_member(nlogd_buf *b, const char *name, const char *v)
{
    nlogd_buf_printf(b, ",\"%s\":", name);
    nlogd_buf_json_str(b, v, strlen(v));
}

/* One record's texts live in an arena-less buffer set: message and metadata. */
typedef struct out_rec {
    nlogd_buf msg, meta;
} out_rec;

static void fill_record(nlogd_record *r, int level, const char *category, const char *logger,
                        out_rec *o, int64_t ts)
{
    memset(r, 0, sizeof *r);
    r->ts_ns = ts;
    r->level = level;
    r->category = category;
    r->logger = logger;
    r->message = o->msg.data ? o->msg.data : "";
    r->message_len = o->msg.len;
    r->function = NULL;
    r->line = -1;
    r->pid = (int64_t) getpid();
    r->tid = -1;
    r->metadata = o->meta.data;
}

static void store_events(nlogd_selflog *sl, event *evs, size_t n, unsigned long long other,
                         int64_t other_first, int64_t other_last)
{
    size_t total = n + (other ? 1 : 0);
    if (!total)
        return;
    nlogd_record *recs = calloc(total, sizeof *recs);
    out_rec *o = calloc(total, sizeof *o);
    if (!recs || !o) {
        free(recs);
        free(o);
        nlogd_count(sl->srv, security_events_failed, total);
        return;
    }
    nlog_logger *lg = nlog_get_logger("nlogd.access");
    for (size_t i = 0; i < total; i++) {
        nlogd_buf_init(&o[i].msg, 4096);
        nlogd_buf_init(&o[i].meta, 8192);
        if (i < n) {
            event *e = &evs[i];
            nlogd_buf_printf(&o[i].msg, "request refused: %d %s %s (%s)", e->status, e->method,
                             e->path, e->reason);
            if (e->count > 1)
                nlogd_buf_printf(&o[i].msg, ", %llu times", e->count);
            nlogd_buf_adds(&o[i].meta, "{\"event_type\":");
            nlogd_buf_json_str(&o[i].meta, e->type, strlen(e->type));
            str_member(&o[i].meta, "severity", e->severity);
            nlogd_buf_adds(&o[i].meta, ",\"user_id\":");
            if (e->has_user)
                nlogd_buf_json_str(&o[i].meta, e->user, strlen(e->user));
            else
                nlogd_buf_adds(&o[i].meta, "null");
            str_member(&o[i].meta, "ip_address", e->ip);
            str_member(&o[i].meta, "method", e->method);
            str_member(&o[i].meta, "path", e->path);
            nlogd_buf_printf(&o[i].meta, ",\"status\":%d", e->status);
            str_member(&o[i].meta, "reason", e->reason);
            nlogd_buf_printf(&o[i].meta, ",\"count\":%llu,\"first_seen\":", e->count);
            nlogd_buf_json_time(&o[i].meta, e->first_ns);
            nlogd_buf_adds(&o[i].meta, ",\"last_seen\":");
            nlogd_buf_json_time(&o[i].meta, e->last_ns);
            nlogd_buf_addc(&o[i].meta, '}');
            fill_record(&recs[i], NLOG_LEVEL_SECURITY, "security", "nlogd.access", &o[i],
                        e->last_ns);
            nlog_logf(lg, NLOG_LEVEL_WARNING, NULL, "%s", o[i].msg.data ? o[i].msg.data : "");
        } else {
            nlogd_buf_printf(&o[i].msg, "request refused: %llu further refused requests (more "
                             "than %d different sources at once)", other, PENDING_MAX);
            nlogd_buf_printf(&o[i].meta, "{\"event_type\":\"AUTH_FAILURE\",\"severity\":\"HIGH\","
                             "\"count\":%llu,\"first_seen\":", other);
            nlogd_buf_json_time(&o[i].meta, other_first);
            nlogd_buf_adds(&o[i].meta, ",\"last_seen\":");
            nlogd_buf_json_time(&o[i].meta, other_last);
            nlogd_buf_addc(&o[i].meta, '}');
            fill_record(&recs[i], NLOG_LEVEL_SECURITY, "security", "nlogd.access", &o[i],
                        other_last);
            nlog_logf(lg, NLOG_LEVEL_WARNING, NULL, "%s", o[i].msg.data ? o[i].msg.data : "");
        }
    }
    nlogd_batch b;
    memset(&b, 0, sizeof b);
    b.recs = recs;
    b.n = total;
    if (nlogd_queue_submit(sl->srv->queue, &b, 1) != 0 || b.status != NLOG_OK) {
        nlogd_count(sl->srv, security_events_failed, total);
        nlog_logf(lg, NLOG_LEVEL_ERROR, NULL,
                  "%zu security event records could not be stored (the store failed); they "
                  "are in this log only", total);
    }
    for (size_t i = 0; i < total; i++) {
        nlogd_buf_free(&o[i].msg);
        nlogd_buf_free(&o[i].meta);
    }
    free(o);
    free(recs);
}

static void *flusher(void *arg)
{
    nlogd_selflog *sl = arg;
    event *batch = malloc(sizeof(event) * PENDING_MAX);
    pthread_mutex_lock(&sl->lock);
    for (;;) {
        while (!sl->n && !sl->other && !sl->stop)
            pthread_cond_wait(&sl->wake, &sl->lock);
        if (!sl->n && !sl->other && sl->stop)
            break;
        if (!sl->stop) {
            /* gather repeats for a moment: one record per source, not per request */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += FLUSH_NS;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            while (!sl->stop && pthread_cond_timedwait(&sl->wake, &sl->lock, &ts) == 0)
                ;
        }
        size_t n = sl->n;
        if (batch)
            memcpy(batch, sl->pending, n * sizeof *batch);
        unsigned long long other = sl->other;
        int64_t of = sl->other_first, ol = sl->other_last;
        sl->n = 0;
        sl->other = 0;
        pthread_mutex_unlock(&sl->lock);
        if (batch)
            store_events(sl, batch, n, other, of, ol);
        else
            nlogd_count(sl->srv, security_events_failed, n + other);
        pthread_mutex_lock(&sl->lock);
    }
    pthread_mutex_unlock(&sl->lock);
    free(batch);
    return NULL;
}

int nlogd_selflog_start(nlogd_server *srv, nlogd_selflog **ret)
{
    nlogd_selflog *sl = calloc(1, sizeof *sl);
    if (!sl)
        return -1;
    sl->srv = srv;
    pthread_mutex_init(&sl->lock, NULL);
    pthread_cond_init(&sl->wake, NULL);
    if (pthread_create(&sl->thread, NULL, flusher, sl) != 0) {
        pthread_mutex_destroy(&sl->lock);
        pthread_cond_destroy(&sl->wake);
        free(sl);
        return -1;
    }
    *ret = sl;
    return 0;
}

void nlogd_selflog_stop(nlogd_selflog *sl)
{
    if (!sl)
        return;
    pthread_mutex_lock(&sl->lock);
    sl->stop = 1;
    pthread_cond_signal(&sl->wake);
    pthread_mutex_unlock(&sl->lock);
    pthread_join(sl->thread, NULL);
    pthread_mutex_destroy(&sl->lock);
    pthread_cond_destroy(&sl->wake);
    free(sl);
}

int nlogd_audit(nlogd_server *srv, const char *action, const char *user, const char *role,
                const char *ip, const char *details)
{
    out_rec o;
    nlogd_buf_init(&o.msg, 4096);
    nlogd_buf_init(&o.meta, 16384);
    nlogd_buf_printf(&o.msg, "%s by %s", action, user ? user : "anonymous");
    nlogd_buf_adds(&o.meta, "{\"event_type\":\"AUDIT\",\"action\":");
    nlogd_buf_json_str(&o.meta, action, strlen(action));
    str_member(&o.meta, "user_id", user ? user : "anonymous");
    str_member(&o.meta, "role", role ? role : "none");
    str_member(&o.meta, "ip_address", ip ? ip : "");
    if (details && details[0] == '{') {
        nlogd_buf_adds(&o.meta, ",\"details\":");
        nlogd_buf_adds(&o.meta, details);
    }
    nlogd_buf_addc(&o.meta, '}');
    int rc = -1;
    if (!o.meta.failed && !o.msg.failed) {
        nlogd_record r;
        fill_record(&r, NLOG_LEVEL_AUDIT, "audit", "nlogd.audit", &o, nlogd_now_ns());
        nlogd_batch b;
        memset(&b, 0, sizeof b);
        b.recs = &r;
        b.n = 1;
        if (nlogd_queue_submit(srv->queue, &b, 1) == 0 && b.status == NLOG_OK)
            rc = 0;
    }
    nlogd_count(srv, audit_records, 1);
    if (rc != 0)
        nlogd_count(srv, audit_failed, 1);
    nlogd_buf_free(&o.msg);
    nlogd_buf_free(&o.meta);
    return rc;
}
