/* collector.c: see collector.h.
 *
 * The object's lock guards everything in it. The thread holds it except
 * while it collects (nlog__sysm_collect() runs unlocked: it may block), and
 * waits on `cv` with a real-time bound so that a test's fake monotonic clock
 * is followed within a second even without a poke. `abandoned` hands the
 * object over to the thread: once it is set, no one else touches it.
 * Tested by: tests/unit/perf/test_sysmetrics.c */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "perf/collector.h"
#include "perf/engine.h"
#include "platform/platform.h"

#define POLL_MAX_NS 1000000000LL /* real time between two looks at the clock, at most */

struct nlog__collector {
    pthread_mutex_t lock;
    pthread_cond_t cv;        /* monotonic; wakes the thread, and sync and stop waiters */
    pthread_t thread;
    int stop, exited, abandoned;
    int64_t interval_ns;
    int64_t next_ns;          /* injectable monotonic clock; 0: the baseline is due */
    char directory[NLOG_CONFIG_PATH_MAX];
    nlog__sysm *sysm;         /* the thread's alone while it collects */
    nlog__sysm_out box;       /* a collection waiting for the aggregator */
    int64_t box_t;
    int box_full;
    uint64_t sync_req, sync_done;
};

/* sync_objects: 0 in a fork() child, where the condition variable may
 * still count a waiter of the parent (destroying it would wait for it). */
static void destroy(nlog__collector *c, int sync_objects)
{
    nlog__sysm_out_free(&c->box);
    nlog__sysm_destroy(c->sysm);
    if (sync_objects) {
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->lock);
    }
    free(c);
}

static void *collector_main(void *arg)
{
    nlog__collector *c = arg;
    nlog__block_async_signals();
    nlog__perf_mark_own_thread();
    pthread_mutex_lock(&c->lock);
    while (!c->stop) {
        int64_t now = nlog__clock_monotonic_ns();
        int baseline = c->next_ns == 0;
        if (baseline || now >= c->next_ns) {
            char dir[NLOG_CONFIG_PATH_MAX];
            memcpy(dir, c->directory, sizeof dir);
            int64_t interval = c->interval_ns;
            int64_t next = baseline ? now + interval : c->next_ns + interval;
            c->next_ns = next > now ? next : now + interval;
            pthread_mutex_unlock(&c->lock);
            nlog__sysm_out out;
            memset(&out, 0, sizeof out);
            int errors = nlog__sysm_collect(c->sysm, dir, now, &out);
            pthread_mutex_lock(&c->lock);
            if (baseline || c->stop) { /* the first snapshot only: rates need two */
                nlog__sysm_out_free(&out);
                continue;
            }
            nlog__perf_count_collection(errors);
            nlog__sysm_out_free(&c->box); /* not taken yet: the newer one replaces it */
            c->box = out;
            c->box_t = now;
            c->box_full = 1;
            nlog__perf_wake();
            continue;
        }
        if (c->sync_done != c->sync_req) {
            c->sync_done = c->sync_req;
            pthread_cond_broadcast(&c->cv);
        }
        int64_t wait = c->next_ns - now;
        if (wait > POLL_MAX_NS)
            wait = POLL_MAX_NS;
        struct timespec ts;
        nlog__perf_deadline(&ts, wait > 1000000 ? wait : 1000000);
        (void) pthread_cond_timedwait(&c->cv, &c->lock, &ts);
    }
    c->exited = 1;
    pthread_cond_broadcast(&c->cv);
    int mine = c->abandoned;
    pthread_mutex_unlock(&c->lock);
    if (mine)
        destroy(c, 1);
    return NULL;
}

nlog__collector *nlog__collector_start(const char *directory, int64_t interval_ns)
{
    nlog__collector *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->sysm = nlog__sysm_create();
    if (!c->sysm) {
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    nlog__perf_cond_init(&c->cv);
    snprintf(c->directory, sizeof c->directory, "%s", directory);
    c->interval_ns = interval_ns > 0 ? interval_ns : 1000000000LL;
    if (pthread_create(&c->thread, NULL, collector_main, c) != 0) {
        destroy(c, 1);
        return NULL;
    }
    return c;
}

void nlog__collector_set(nlog__collector *c, const char *directory, int64_t interval_ns)
{
    pthread_mutex_lock(&c->lock);
    snprintf(c->directory, sizeof c->directory, "%s", directory);
    if (interval_ns > 0 && interval_ns != c->interval_ns) {
        c->interval_ns = interval_ns;
        if (c->next_ns)
            c->next_ns = nlog__clock_monotonic_ns() + interval_ns;
    }
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->lock);
}

void nlog__collector_stop(nlog__collector *c, int64_t wait_ns)
{
    if (!c)
        return;
    struct timespec ts;
    nlog__perf_deadline(&ts, wait_ns);
    pthread_mutex_lock(&c->lock);
    c->stop = 1;
    pthread_cond_broadcast(&c->cv);
    while (!c->exited)
        if (pthread_cond_timedwait(&c->cv, &c->lock, &ts) != 0)
            break;
    int exited = c->exited;
    if (!exited)
        c->abandoned = 1; /* still inside a blocked read: it frees itself */
    pthread_mutex_unlock(&c->lock);
    if (exited) {
        pthread_join(c->thread, NULL);
        destroy(c, 1);
    } else {
        pthread_detach(c->thread);
    }
}

int nlog__collector_take(nlog__collector *c, nlog__sysm_out *out, int64_t *ret_t)
{
    pthread_mutex_lock(&c->lock);
    int full = c->box_full;
    if (full) {
        *out = c->box;
        *ret_t = c->box_t;
        memset(&c->box, 0, sizeof c->box);
        c->box_full = 0;
    }
    pthread_mutex_unlock(&c->lock);
    return full;
}

int64_t nlog__collector_next(nlog__collector *c)
{
    pthread_mutex_lock(&c->lock);
    int64_t t = c->next_ns;
    pthread_mutex_unlock(&c->lock);
    return t;
}

int nlog__collector_sync(nlog__collector *c, int64_t timeout_ns)
{
    struct timespec ts;
    nlog__perf_deadline(&ts, timeout_ns);
    pthread_mutex_lock(&c->lock);
    uint64_t req = ++c->sync_req;
    pthread_cond_broadcast(&c->cv);
    int rc = 0;
    while (c->sync_done < req && !c->exited)
        if (pthread_cond_timedwait(&c->cv, &c->lock, &ts) != 0) {
            rc = -1;
            break;
        }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

void nlog__collector_test_counter_bits(nlog__collector *c, int bits)
{
    nlog__sysm_set_counter_bits(c->sysm, bits); /* an atomic of the collector */
}

void nlog__collector_atfork_prepare(nlog__collector *c)
{
    pthread_mutex_lock(&c->lock);
}

void nlog__collector_atfork_parent(nlog__collector *c)
{
    pthread_mutex_unlock(&c->lock);
}

void nlog__collector_atfork_child_discard(nlog__collector *c)
{
    /* The thread does not exist here (a collection it was making is the
     * parent's); the lock is ours and nobody else can see the object. */
    pthread_mutex_unlock(&c->lock);
    destroy(c, 0);
}
