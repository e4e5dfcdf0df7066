/* timer.c: the sealing timer thread (see timer.h).
 *
 * State: `T`, guarded by T.lock: the registrations, the thread's run state
 * and the poke flag. A pass snapshots the registrations and marks them busy
 * under T.lock, then works on the sealers without it (the sealers have their
 * own mutex); remove() waits for busy to drop. Lock order: T.life -> T.lock;
 * a sealer's mutex is never held while T.lock is taken.
 *
 * fork(): handlers registered from a constructor run their prepare after
 * the library's own (lifecycle.c holds the state write lock then, so no
 * sink is writing); prepare takes T.life, T.lock and every registered
 * sealer's mutex, so no pass and no control write is half done in the
 * child; the child has no thread. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal/diag.h"
#include "platform/platform.h"
#include "seal/sealer_impl.h"
#include "seal/timer.h"

#define UPKEEP_NS 1000000000LL /* upkeep and the longest sleep */
#define RETRY_NS 100000000LL   /* a checkpoint that could not be written is retried */

struct nlog__seal_timer_reg {
    nlog__seal_timer_reg *next;
    nlog__sealer *s;
    int busy;            /* T.lock: a pass uses it */
    int64_t upkeep_at;   /* monotonic ns of its next upkeep (under T.pass) */
};

static struct {
    pthread_mutex_t life;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_cond_t idle;
    nlog__seal_timer_reg *regs;
    pthread_t thread;
    int running;         /* atomic reads */
    int stop;
    int poked;
    int paused;           /* tests: the thread makes no pass */
    pthread_mutex_t pass; /* one pass at a time (thread or tests) */
} T = {
    .life = PTHREAD_MUTEX_INITIALIZER,
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
    .idle = PTHREAD_COND_INITIALIZER,
    .pass = PTHREAD_MUTEX_INITIALIZER,
};

/* One pass (`upkeep_now`: every sealer's upkeep too); returns the
 * monotonic time of the next work. */
static int64_t pass(int upkeep_now)
{
    pthread_mutex_lock(&T.pass);
    nlog__seal_timer_reg *list[64];
    size_t n = 0;
    pthread_mutex_lock(&T.lock);
    for (nlog__seal_timer_reg *r = T.regs; r && n < sizeof list / sizeof list[0]; r = r->next) {
        r->busy++;
        list[n++] = r;
    }
    pthread_mutex_unlock(&T.lock);
    int64_t now = nlog__clock_monotonic_ns(), next = now + UPKEEP_NS;
    for (size_t i = 0; i < n; i++) {
        nlog__seal_timer_reg *r = list[i];
        int64_t due = nlog__sealer_due_at(r->s);
        if (due <= now) {
            nlog_status st = nlog__sealer_control(r->s, NLOG__SEAL_R_INTERVAL, NULL);
            due = nlog__sealer_due_at(r->s);
            if (st != NLOG_OK && due <= now) /* reported by the sealer; retried soon */
                due = now + RETRY_NS;
        }
        if (upkeep_now || now >= r->upkeep_at) {
            nlog__sealer_upkeep(r->s);
            r->upkeep_at = now + UPKEEP_NS;
        }
        if (due < next)
            next = due;
        if (r->upkeep_at < next)
            next = r->upkeep_at;
    }
    pthread_mutex_lock(&T.lock);
    for (size_t i = 0; i < n; i++)
        list[i]->busy--;
    pthread_cond_broadcast(&T.idle);
    pthread_mutex_unlock(&T.lock);
    pthread_mutex_unlock(&T.pass);
    return next;
}

static void deadline_in(struct timespec *ts, int64_t ns)
{
    if (ns < 1000000)
        ns = 1000000; /* at least 1 ms: a due time in the past is handled at once */
    if (ns > UPKEEP_NS)
        ns = UPKEEP_NS;
    clock_gettime(CLOCK_REALTIME, ts);
    int64_t t = (int64_t) ts->tv_nsec + ns;
    ts->tv_sec += (time_t) (t / 1000000000LL);
    ts->tv_nsec = (long) (t % 1000000000LL);
}

static void *timer_main(void *arg)
{
    (void) arg;
    nlog__block_async_signals();
    pthread_mutex_lock(&T.lock);
    while (!T.stop) {
        if (T.paused) {
            pthread_cond_wait(&T.wake, &T.lock);
            continue;
        }
        T.poked = 0;
        pthread_mutex_unlock(&T.lock);
        int64_t next = pass(0);
        pthread_mutex_lock(&T.lock);
        if (T.stop || T.poked)
            continue;
        struct timespec ts;
        deadline_in(&ts, next - nlog__clock_monotonic_ns());
        (void) pthread_cond_timedwait(&T.wake, &T.lock, &ts);
    }
    pthread_mutex_unlock(&T.lock);
    return NULL;
}

/* Starts the thread if it does not run; called with T.life held. */
static void start_locked(void)
{
    pthread_mutex_lock(&T.lock);
    if (!T.running && T.regs) {
        T.stop = 0;
        int err = pthread_create(&T.thread, NULL, timer_main, NULL);
        if (err)
            nlog__diag(NLOG_DIAG_INTERNAL, NLOG_ENOMEM, err, NULL,
                       "cannot start the sealing timer thread: %s; checkpoints are written "
                       "only when records are",
                       strerror(err));
        else
            __atomic_store_n(&T.running, 1, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&T.lock);
}

nlog_status nlog__seal_timer_add(nlog__sealer *s, nlog__seal_timer_reg **ret)
{
    nlog__seal_timer_reg *r = calloc(1, sizeof *r);
    if (!r)
        return NLOG_ENOMEM;
    r->s = s;
    pthread_mutex_lock(&T.life);
    pthread_mutex_lock(&T.lock);
    r->next = T.regs;
    T.regs = r;
    pthread_mutex_unlock(&T.lock);
    start_locked();
    pthread_mutex_unlock(&T.life);
    *ret = r;
    return NLOG_OK;
}

void nlog__seal_timer_remove(nlog__seal_timer_reg *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&T.life);
    pthread_mutex_lock(&T.lock);
    for (nlog__seal_timer_reg **pp = &T.regs; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    while (r->busy)
        pthread_cond_wait(&T.idle, &T.lock);
    if (!T.regs && T.running) {
        T.stop = 1;
        pthread_cond_signal(&T.wake);
        pthread_t t = T.thread;
        pthread_mutex_unlock(&T.lock);
        pthread_join(t, NULL);
        pthread_mutex_lock(&T.lock);
        __atomic_store_n(&T.running, 0, __ATOMIC_RELAXED);
        T.stop = 0;
    }
    pthread_mutex_unlock(&T.lock);
    pthread_mutex_unlock(&T.life);
    free(r);
}

void nlog__seal_timer_poke(void)
{
    if (!__atomic_load_n(&T.running, __ATOMIC_RELAXED)) {
        pthread_mutex_lock(&T.life);
        start_locked(); /* after fork() */
        pthread_mutex_unlock(&T.life);
    }
    pthread_mutex_lock(&T.lock);
    T.poked = 1;
    pthread_cond_signal(&T.wake);
    pthread_mutex_unlock(&T.lock);
}

void nlog__seal_timer_run(void)
{
    (void) pass(1);
}

int nlog__seal_timer_running(void)
{
    return __atomic_load_n(&T.running, __ATOMIC_RELAXED);
}

void nlog__seal_timer_test_pause(int pause)
{
    pthread_mutex_lock(&T.lock);
    T.paused = pause;
    pthread_cond_broadcast(&T.wake);
    pthread_mutex_unlock(&T.lock);
    /* a pass already running finishes before the caller goes on */
    pthread_mutex_lock(&T.pass);
    pthread_mutex_unlock(&T.pass);
}

static void atfork_prepare(void)
{
    pthread_mutex_lock(&T.life);
    pthread_mutex_lock(&T.pass);
    pthread_mutex_lock(&T.lock);
    for (nlog__seal_timer_reg *r = T.regs; r; r = r->next)
        pthread_mutex_lock(&r->s->mu);
}

static void atfork_parent(void)
{
    for (nlog__seal_timer_reg *r = T.regs; r; r = r->next)
        pthread_mutex_unlock(&r->s->mu);
    pthread_mutex_unlock(&T.lock);
    pthread_mutex_unlock(&T.pass);
    pthread_mutex_unlock(&T.life);
}

static void atfork_child(void)
{
    for (nlog__seal_timer_reg *r = T.regs; r; r = r->next) {
        pthread_mutex_unlock(&r->s->mu);
        r->busy = 0;
    }
    pthread_cond_init(&T.wake, NULL);
    pthread_cond_init(&T.idle, NULL);
    __atomic_store_n(&T.running, 0, __ATOMIC_RELAXED);
    T.stop = 0;
    T.poked = 0;
    pthread_mutex_unlock(&T.lock);
    pthread_mutex_unlock(&T.pass);
    pthread_mutex_unlock(&T.life);
}

__attribute__((constructor)) static void register_atfork(void)
{
    (void) pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}
