/* live.c: the library's own detectors over nlog_log_security_event(), the
 * detection callback, and detections as records and as text.
 *
 * State: `live` (the detector built from the configuration in force) under
 * `live_lock`, a rwlock: events take it shared (the detector has its own
 * mutex), reconfiguration takes it exclusively to swap. The callback and its
 * user pointer are read together under `cb_lock`. A reconfiguration whose
 * security settings did not change keeps the detector and its state, so
 * changing the level does not forget a brute force in progress.
 *
 * Order of an event: its record is logged first; then the detectors run;
 * then each detection is logged as an event of its own (with context
 * "detector", not fed back to the detectors) and the callback is called, in
 * rule order, with no lock held.
 * Tested by: tests/unit/security/test_security_detect.c, test_security_replay.c */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "format/json.h"
#include "format/timefmt.h"
#include "internal/diag.h"
#include "platform/platform.h"
#include "security/detect.h"
#include "security/sec_internal.h"

static pthread_rwlock_t live_lock = PTHREAD_RWLOCK_INITIALIZER;
static nlog_security_detector *live;

static pthread_mutex_t cb_lock = PTHREAD_MUTEX_INITIALIZER;
static nlog_security_detection_fn cb_fn;
static void *cb_user;

void nlog_security_set_detection_callback(nlog_security_detection_fn fn, void *user)
{
    pthread_mutex_lock(&cb_lock);
    cb_fn = fn;
    cb_user = fn ? user : NULL;
    pthread_mutex_unlock(&cb_lock);
}

void nlog__sec_live_configure(const nlog_config *cfg)
{
    nlog_security_detector *fresh = NULL, *old = NULL;
    nlog__audit_configure(cfg);
    pthread_rwlock_rdlock(&live_lock);
    int keep = cfg->security_detection > 0 && live && nlog__detector_same_config(live, cfg);
    pthread_rwlock_unlock(&live_lock);
    if (keep)
        return;
    if (cfg->security_detection > 0 && nlog_security_detector_create(cfg, &fresh) != NLOG_OK)
        nlog__diag(NLOG_DIAG_CONFIG, NLOG_ECONFIG, 0, "security",
                   "threat detection is off: %s", nlog_errmsg());
    pthread_rwlock_wrlock(&live_lock);
    old = live;
    live = fresh;
    pthread_rwlock_unlock(&live_lock);
    nlog_security_detector_destroy(old);
}

void nlog__sec_live_shutdown(void)
{
    pthread_rwlock_wrlock(&live_lock);
    nlog_security_detector *old = live;
    live = NULL;
    pthread_rwlock_unlock(&live_lock);
    nlog_security_detector_destroy(old);
}

nlog_status nlog_security_stats_get(nlog_security_stats *out)
{
    if (!out || out->struct_size < sizeof(size_t))
        return NLOG_EINVAL;
    nlog_status st = NLOG_OK;
    pthread_rwlock_rdlock(&live_lock);
    if (live) {
        st = nlog_security_detector_stats(live, out);
    } else {
        size_t keep = out->struct_size;
        memset(out, 0, keep < sizeof *out ? keep : sizeof *out);
        out->struct_size = keep;
    }
    pthread_rwlock_unlock(&live_lock);
    return st;
}

/* A detection as an event of its own. */
static void log_detection(nlog_logger *lg, const nlog_security_detection *d)
{
    char t1[NLOG__RFC3339_LEN + 1], t2[NLOG__RFC3339_LEN + 1], msg[512];
    static const char *const sample_keys[NLOG_SECURITY_SAMPLE_MAX] = {
        "sample_1", "sample_2", "sample_3", "sample_4",
        "sample_5", "sample_6", "sample_7", "sample_8"};
    nlog__fmt_rfc3339(d->first_ns, t1);
    nlog__fmt_rfc3339(d->last_ns, t2);
    t1[NLOG__RFC3339_LEN] = t2[NLOG__RFC3339_LEN] = '\0';
    if (d->matched_field[0])
        snprintf(msg, sizeof msg, "%s: pattern matched in %s, %s %.200s", d->detector,
                 d->matched_field, d->group_by, d->key);
    else
        snprintf(msg, sizeof msg, "%s: %llu %s by %s %.200s within %lld s", d->detector,
                 (unsigned long long) d->count,
                 strcmp(d->counted, "events") == 0 ? "events" : d->counted, d->group_by, d->key,
                 (long long) (d->window_ns / 1000000000));
    nlog_field f[12 + NLOG_SECURITY_SAMPLE_MAX];
    size_t n = 0;
    f[n++] = nlog_field_str(NLOG_GROUP_METADATA, "group_by", d->group_by);
    f[n++] = nlog_field_str(NLOG_GROUP_METADATA, "key", d->key);
    f[n++] = nlog_field_str(NLOG_GROUP_METADATA, "counted", d->counted);
    f[n++] = nlog_field_uint(NLOG_GROUP_METADATA, "count", d->count);
    f[n++] = nlog_field_uint(NLOG_GROUP_METADATA, "threshold", d->threshold);
    f[n++] = nlog_field_int(NLOG_GROUP_METADATA, "window_s", d->window_ns / 1000000000);
    f[n++] = nlog_field_str(NLOG_GROUP_METADATA, "first_seen", t1);
    f[n++] = nlog_field_str(NLOG_GROUP_METADATA, "last_seen", t2);
    if (d->matched_field[0])
        f[n++] = nlog_field_str(NLOG_GROUP_METADATA, "matched_field", d->matched_field);
    if (d->sample_of[0])
        f[n++] = nlog_field_str(NLOG_GROUP_METADATA, "sample_of", d->sample_of);
    for (size_t i = 0; i < d->n_sample && i < NLOG_SECURITY_SAMPLE_MAX; i++)
        f[n++] = nlog_field_str(NLOG_GROUP_METADATA, sample_keys[i], d->sample[i]);
    nlog_security_event ev = {
        .type = d->type,
        .severity = d->severity,
        .message = msg,
        .details = f,
        .n_details = n,
    };
    const char **slot = NULL;
    int fi = nlog__sec_field_find(d->group_by);
    switch (fi) {
    case NLOG__SF_USER_ID: slot = &ev.user_id; break;
    case NLOG__SF_IP_ADDRESS: slot = &ev.ip_address; break;
    case NLOG__SF_SESSION_ID: slot = &ev.session_id; break;
    case NLOG__SF_RESOURCE: slot = &ev.resource; break;
    case NLOG__SF_ACTION: slot = &ev.action; break;
    default: break;
    }
    if (slot && strcmp(d->key, "(none)") != 0)
        *slot = d->key;
    nlog_field extra = nlog_field_str(NLOG_GROUP_CONTEXT, "detector", d->detector);
    (void) nlog__sec_log_event(lg, &ev, d->time_ns, &extra, 1);
}

nlog_status nlog_logger_log_security_event(nlog_logger *lg, const nlog_security_event *ev)
{
    nlog__clear_errmsg();
    if (!lg || !ev) {
        nlog__set_errmsg("nlog_log_security_event: %s is NULL", lg ? "the event" : "the logger");
        return NLOG_EINVAL;
    }
    nlog_security_event e = *ev;
    if (ev->struct_size && ev->struct_size < sizeof e) /* an older, shorter layout */
        memset((char *) &e + ev->struct_size, 0, sizeof e - ev->struct_size);
    if (!e.timestamp_ns)
        e.timestamp_ns = nlog__clock_realtime_ns();
    nlog_status st = nlog__sec_log_event(lg, &e, e.timestamp_ns, NULL, 0);
    nlog__sec_hits *hits = NULL;
    pthread_rwlock_rdlock(&live_lock);
    if (live)
        (void) nlog__detector_run(live, &e, &hits);
    pthread_rwlock_unlock(&live_lock);
    if (!hits)
        return st;
    pthread_mutex_lock(&cb_lock);
    nlog_security_detection_fn fn = cb_fn;
    void *user = cb_user;
    pthread_mutex_unlock(&cb_lock);
    for (size_t i = 0; i < hits->n; i++) {
        log_detection(lg, &hits->hit[i].d);
        if (fn)
            fn(&hits->hit[i].d, user);
    }
    free(hits);
    return st;
}

nlog_status nlog_log_security_event(const nlog_security_event *ev)
{
    return nlog_logger_log_security_event(nlog_get_security_logger(), ev);
}

/* ---- detections as one line of JSON ------------------------------------------- */

typedef struct jout {
    char *buf;
    size_t size, used;
    int full;
} jout;

static void jraw(jout *o, const char *s, size_t n)
{
    if (o->full || o->size - o->used <= n) {
        o->full = 1;
        return;
    }
    memcpy(o->buf + o->used, s, n);
    o->used += n;
}

static void jstr(jout *o, const char *s)
{
    size_t len = strlen(s), used = 0;
    jraw(o, "\"", 1);
    if (!o->full) {
        size_t w = nlog__json_escape(o->buf + o->used, o->size - o->used - 1, s, len, &used);
        o->used += w;
        if (used < len)
            o->full = 1;
    }
    jraw(o, "\"", 1);
}

static void jkey(jout *o, const char *k, int first)
{
    if (!first)
        jraw(o, ",", 1);
    jstr(o, k);
    jraw(o, ":", 1);
}

static void jnum(jout *o, long long v)
{
    char b[32];
    int n = snprintf(b, sizeof b, "%lld", v);
    jraw(o, b, (size_t) n);
}

static void jtime(jout *o, int64_t ns)
{
    char t[NLOG__RFC3339_LEN + 1];
    nlog__fmt_rfc3339(ns, t);
    t[NLOG__RFC3339_LEN] = '\0';
    jstr(o, t);
}

nlog_status nlog_security_detection_format(const nlog_security_detection *d, char *buf,
                                           size_t size, size_t *ret_len)
{
    if (!d || !buf || size == 0)
        return NLOG_EINVAL;
    jout o = {buf, size, 0, 0};
    const char *type = nlog_security_event_type_name(d->type);
    const char *sev = nlog_security_severity_name(d->severity);
    jraw(&o, "{", 1);
    jkey(&o, "time", 1);
    jtime(&o, d->time_ns);
    jkey(&o, "detector", 0);
    jstr(&o, d->detector ? d->detector : "");
    jkey(&o, "type", 0);
    jstr(&o, type ? type : "");
    jkey(&o, "severity", 0);
    jstr(&o, sev ? sev : "");
    jkey(&o, "group_by", 0);
    jstr(&o, d->group_by ? d->group_by : "");
    jkey(&o, "key", 0);
    jstr(&o, d->key ? d->key : "");
    jkey(&o, "counted", 0);
    jstr(&o, d->counted ? d->counted : "");
    jkey(&o, "count", 0);
    jnum(&o, (long long) d->count);
    jkey(&o, "threshold", 0);
    jnum(&o, (long long) d->threshold);
    jkey(&o, "window_s", 0);
    jnum(&o, (long long) (d->window_ns / 1000000000));
    jkey(&o, "first_seen", 0);
    jtime(&o, d->first_ns);
    jkey(&o, "last_seen", 0);
    jtime(&o, d->last_ns);
    if (d->matched_field && d->matched_field[0]) {
        jkey(&o, "matched_field", 0);
        jstr(&o, d->matched_field);
    }
    if (d->sample_of && d->sample_of[0]) {
        jkey(&o, "sample_of", 0);
        jstr(&o, d->sample_of);
        jkey(&o, "sample", 0);
        jraw(&o, "[", 1);
        for (size_t i = 0; i < d->n_sample; i++) {
            if (i)
                jraw(&o, ",", 1);
            jstr(&o, d->sample[i] ? d->sample[i] : "");
        }
        jraw(&o, "]", 1);
    }
    jraw(&o, "}", 1);
    if (o.full) {
        buf[0] = '\0';
        return NLOG_ELIMIT;
    }
    buf[o.used] = '\0';
    if (ret_len)
        *ret_len = o.used;
    return NLOG_OK;
}
