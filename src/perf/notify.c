/* notify.c: the notification queue and its delivery thread (see notify.h).
 *
 * State `N`, guarded by N.lock: the channels in force, the queue (a list
 * ordered by arrival; each job has the monotonic time of its next attempt),
 * the thread's lifecycle and the per-channel failing flags. A job carries
 * copies of everything it needs (URL, addresses, body), so reconfiguration
 * never changes a message already queued. The thread takes a due job out of
 * the queue, delivers it without the lock, and then puts it back for a
 * retry or frees it.
 * Tested by: tests/unit/perf/test_notify.c */
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/url.h"
#include "internal/diag.h"
#include "perf/engine.h"
#include "perf/notify.h"
#include "platform/platform.h"
#include "platform/sysinfo.h"

#define QUEUE_MAX 256

enum { CH_MAIL = 0, CH_WEBHOOK = 1, CH_COUNT = 2 };
static const char *const ch_name[CH_COUNT] = {"alert e-mail", "alert webhook"};

typedef struct job {
    struct job *next;
    int channel;
    int attempts;
    int64_t next_at;   /* monotonic ns */
    char *url;
    char *from, *to;   /* e-mail */
    char *body;
    size_t body_len;
    char what[NLOG_PERF_NAME_MAX + 32]; /* "alert 'x' firing", for messages */
} job;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_cond_t idle;
    job *head, *tail;
    size_t queued;
    int busy;            /* a job is being delivered */
    pthread_t thread;
    int running;
    int stop;
    int64_t abort_at;    /* while stopping: attempts end by this time */
    /* channels */
    int enabled;
    char to[NLOG_CONFIG_EMAIL_MAX];
    char from[NLOG_CONFIG_EMAIL_MAX];
    char smtp_url[NLOG_CONFIG_PATH_MAX];
    char webhook_url[NLOG_CONFIG_PATH_MAX];
    int failing[CH_COUNT];
    /* policy (tests shorten it) */
    int64_t backoff_base, backoff_max;
    int attempts_max;
    int64_t grace_ns;    /* how long the last attempts at stop may take */
    uint64_t sent, retried, failed, dropped; /* atomics */
} N = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
    .idle = PTHREAD_COND_INITIALIZER,
    .backoff_base = 1000000000LL,
    .backoff_max = 60 * 1000000000LL,
    .attempts_max = 5,
    .grace_ns = 5 * 1000000000LL,
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ready;

static void init_curl(void)
{
    curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

static void job_free(job *j)
{
    if (!j)
        return;
    free(j->url);
    free(j->from);
    free(j->to);
    free(j->body);
    free(j);
}

void nlog__notify_configure(const nlog_config *cfg)
{
    pthread_mutex_lock(&N.lock);
    N.enabled = cfg->alerts_enabled > 0;
    snprintf(N.to, sizeof N.to, "%s", cfg->alert_email);
    snprintf(N.from, sizeof N.from, "%s", cfg->alert_email_from);
    snprintf(N.smtp_url, sizeof N.smtp_url, "%s", cfg->alert_smtp_url);
    snprintf(N.webhook_url, sizeof N.webhook_url, "%s", cfg->alert_webhook_url);
    pthread_mutex_unlock(&N.lock);
    if (N.enabled && (cfg->alert_smtp_url[0] || cfg->alert_webhook_url[0]))
        (void) pthread_once(&curl_once, init_curl);
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static void redact(const char *url, char *buf, size_t size)
{
    (void) nlog__url_redact(url, strlen(url), buf, size);
}

/* ---- delivery thread -------------------------------------------------------- */

static int64_t backoff(int attempts)
{
    int64_t d = N.backoff_base;
    for (int i = 1; i < attempts && d < N.backoff_max; i++)
        d *= 2;
    return d < N.backoff_max ? d : N.backoff_max;
}

static void deadline_in(struct timespec *ts, int64_t ns)
{
    clock_gettime(CLOCK_REALTIME, ts);
    int64_t t = (int64_t) ts->tv_nsec + ns;
    ts->tv_sec += (time_t) (t / 1000000000LL);
    ts->tv_nsec = (long) (t % 1000000000LL);
}

/* The first due job, unlinked; NULL if none. Locked. */
static job *take_due(int64_t now, int64_t *ret_next)
{
    *ret_next = INT64_MAX;
    job *prev = NULL;
    for (job *j = N.head; j; prev = j, j = j->next) {
        if (j->next_at <= now) {
            if (prev)
                prev->next = j->next;
            else
                N.head = j->next;
            if (N.tail == j)
                N.tail = prev;
            j->next = NULL;
            N.queued--;
            return j;
        }
        if (j->next_at < *ret_next)
            *ret_next = j->next_at;
    }
    return NULL;
}

static void append_locked(job *j)
{
    j->next = NULL;
    if (N.tail)
        N.tail->next = j;
    else
        N.head = j;
    N.tail = j;
    N.queued++;
}

static int deliver(job *j, const int64_t *abort_at, char *why, size_t why_size)
{
    if (!curl_ready) {
        snprintf(why, why_size, "libcurl could not be initialised");
        return NLOG__SEND_RETRY;
    }
    if (j->channel == CH_MAIL)
        return nlog__mail_send(j->url, j->from, j->to, j->body, j->body_len, abort_at, why,
                               why_size);
    return nlog__webhook_send(j->url, j->body, j->body_len, abort_at, why, why_size);
}

static void *notify_main(void *arg)
{
    (void) arg;
    sigset_t all;
    sigfillset(&all);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGFPE);
    sigdelset(&all, SIGILL);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_mutex_lock(&N.lock);
    for (;;) {
        int64_t now = nlog__clock_monotonic_ns(), next;
        job *j = take_due(now, &next);
        if (!j) {
            pthread_cond_broadcast(&N.idle);
            if (N.stop)
                break;
            /* Real time waits are short so a test's fake clock is followed. */
            int64_t wait = next == INT64_MAX ? 1000000000LL : next - now;
            if (wait > 200000000LL)
                wait = 200000000LL;
            struct timespec ts;
            deadline_in(&ts, wait > 0 ? wait : 1000000);
            (void) pthread_cond_timedwait(&N.wake, &N.lock, &ts);
            continue;
        }
        N.busy = 1;
        pthread_mutex_unlock(&N.lock);

        char why[256] = "", where[NLOG_CONFIG_PATH_MAX + 16];
        int r = deliver(j, &N.abort_at, why, sizeof why);
        redact(j->url, where, sizeof where);
        j->attempts++;

        pthread_mutex_lock(&N.lock);
        N.busy = 0;
        int stopping = N.stop; /* no retries once stopping */
        int ch = j->channel;
        if (r == NLOG__SEND_OK) {
            __atomic_fetch_add(&N.sent, 1, __ATOMIC_RELAXED);
            if (N.failing[ch]) {
                N.failing[ch] = 0;
                nlog__diag(NLOG_DIAG_OUTPUT_RECOVERED, NLOG_OK, 0, ch_name[ch],
                           "%s delivery to %s works again", ch_name[ch], where);
            }
            job_free(j);
            continue;
        }
        if (!N.failing[ch]) {
            N.failing[ch] = 1;
            nlog__diag(NLOG_DIAG_OUTPUT_FAILED, NLOG_EIO, 0, ch_name[ch],
                       "%s delivery to %s failed: %s%s", ch_name[ch], where, why,
                       r == NLOG__SEND_RETRY && !stopping ? "; retrying with backoff" : "");
        }
        if (r == NLOG__SEND_RETRY && !stopping && j->attempts < N.attempts_max) {
            __atomic_fetch_add(&N.retried, 1, __ATOMIC_RELAXED);
            j->next_at = nlog__clock_monotonic_ns() + backoff(j->attempts);
            append_locked(j);
            continue;
        }
        __atomic_fetch_add(&N.failed, 1, __ATOMIC_RELAXED);
        nlog__diag(NLOG_DIAG_OUTPUT_FAILED, NLOG_EIO, 0, ch_name[ch],
                   "%s for %s given up after %d attempt%s: %s (%s)", ch_name[ch], j->what,
                   j->attempts, j->attempts == 1 ? "" : "s", why, where);
        job_free(j);
    }
    pthread_mutex_unlock(&N.lock);
    return NULL;
}

/* ---- queueing ---------------------------------------------------------------- */

static void enqueue(job *j)
{
    pthread_mutex_lock(&N.lock);
    if (N.stop || N.queued >= QUEUE_MAX) {
        static int reported;
        int first = !reported;
        reported = 1;
        pthread_mutex_unlock(&N.lock);
        __atomic_fetch_add(&N.dropped, 1, __ATOMIC_RELAXED);
        if (first)
            nlog__diag(NLOG_DIAG_OUTPUT_FAILED, NLOG_EQUEUE_FULL, 0, ch_name[j->channel],
                       "the alert notification queue is full (%d jobs); %s for %s was "
                       "dropped (further drops are only counted)",
                       QUEUE_MAX, ch_name[j->channel], j->what);
        job_free(j);
        return;
    }
    j->next_at = nlog__clock_monotonic_ns();
    append_locked(j);
    if (!N.running) {
        int err = pthread_create(&N.thread, NULL, notify_main, NULL);
        if (err == 0)
            N.running = 1;
        else
            nlog__diag(NLOG_DIAG_INTERNAL, NLOG_ENOMEM, err, "alerts",
                       "cannot start the alert delivery thread (error %d); notifications "
                       "stay queued",
                       err);
    }
    pthread_cond_signal(&N.wake);
    pthread_mutex_unlock(&N.lock);
}

static job *new_job(int channel, const char *url, const nlog_alert_event *ev)
{
    job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->channel = channel;
    j->url = dup_str(url);
    snprintf(j->what, sizeof j->what, "alert '%.128s' %s", ev->alert_name,
             ev->state == NLOG_ALERT_FIRING ? "firing" : "resolved");
    if (!j->url) {
        job_free(j);
        return NULL;
    }
    return j;
}

void nlog__notify_alert(const nlog_alert_event *ev)
{
    char to[NLOG_CONFIG_EMAIL_MAX], from[NLOG_CONFIG_EMAIL_MAX + 64];
    char smtp[NLOG_CONFIG_PATH_MAX], hook[NLOG_CONFIG_PATH_MAX], host[256];
    pthread_mutex_lock(&N.lock);
    int enabled = N.enabled;
    memcpy(to, N.to, sizeof to);
    memcpy(from, N.from, sizeof N.from);
    memcpy(smtp, N.smtp_url, sizeof smtp);
    memcpy(hook, N.webhook_url, sizeof hook);
    pthread_mutex_unlock(&N.lock);
    if (!enabled)
        return;
    nlog__sys_hostname(host, sizeof host);
    if (!from[0])
        snprintf(from, sizeof from, "nlog@%s", host);
    if (smtp[0] && to[0]) {
        job *j = new_job(CH_MAIL, smtp, ev);
        if (j) {
            j->from = dup_str(from);
            j->to = dup_str(to);
            j->body = nlog__mail_format(ev, from, to, host, nlog__clock_realtime_ns(),
                                        &j->body_len);
        }
        if (j && j->from && j->to && j->body) {
            enqueue(j);
        } else {
            job_free(j);
            __atomic_fetch_add(&N.dropped, 1, __ATOMIC_RELAXED);
            nlog__perf_report_oom("an alert e-mail");
        }
    }
    if (hook[0]) {
        job *j = new_job(CH_WEBHOOK, hook, ev);
        if (j)
            j->body = nlog__webhook_format(ev, host, &j->body_len);
        if (j && j->body) {
            enqueue(j);
        } else {
            job_free(j);
            __atomic_fetch_add(&N.dropped, 1, __ATOMIC_RELAXED);
            nlog__perf_report_oom("an alert webhook post");
        }
    }
}

void nlog__notify_stop(void)
{
    pthread_mutex_lock(&N.lock);
    if (N.running) {
        N.stop = 1;
        __atomic_store_n(&N.abort_at, nlog__clock_monotonic_ns() + N.grace_ns, __ATOMIC_RELAXED);
        /* jobs waiting for a retry are not due: they are dropped below */
        int64_t now = nlog__clock_monotonic_ns();
        for (job **pp = &N.head; *pp;) {
            job *j = *pp;
            if (j->next_at > now) {
                *pp = j->next;
                N.queued--;
                __atomic_fetch_add(&N.dropped, 1, __ATOMIC_RELAXED);
                job_free(j);
            } else {
                pp = &j->next;
            }
        }
        N.tail = NULL;
        for (job *j = N.head; j; j = j->next)
            N.tail = j;
        pthread_cond_signal(&N.wake);
        pthread_t t = N.thread;
        pthread_mutex_unlock(&N.lock);
        pthread_join(t, NULL);
        pthread_mutex_lock(&N.lock);
        N.running = 0;
    }
    /* anything left (no thread could be started) is dropped */
    while (N.head) {
        job *j = N.head;
        N.head = j->next;
        __atomic_fetch_add(&N.dropped, 1, __ATOMIC_RELAXED);
        job_free(j);
    }
    N.tail = NULL;
    N.queued = 0;
    N.stop = 0;
    __atomic_store_n(&N.abort_at, 0, __ATOMIC_RELAXED);
    N.failing[0] = N.failing[1] = 0;
    N.enabled = 0;
    pthread_mutex_unlock(&N.lock);
}

void nlog__notify_counters(uint64_t *sent, uint64_t *retried, uint64_t *failed,
                           uint64_t *dropped)
{
    *sent = __atomic_load_n(&N.sent, __ATOMIC_RELAXED);
    *retried = __atomic_load_n(&N.retried, __ATOMIC_RELAXED);
    *failed = __atomic_load_n(&N.failed, __ATOMIC_RELAXED);
    *dropped = __atomic_load_n(&N.dropped, __ATOMIC_RELAXED);
}

void nlog__notify_atfork_prepare(void)
{
    pthread_mutex_lock(&N.lock);
}

void nlog__notify_atfork_parent(void)
{
    pthread_mutex_unlock(&N.lock);
}

void nlog__notify_atfork_child(void)
{
    /* The parent delivers what it queued; the child starts empty. */
    pthread_cond_init(&N.wake, NULL);
    pthread_cond_init(&N.idle, NULL);
    while (N.head) {
        job *j = N.head;
        N.head = j->next;
        job_free(j);
    }
    N.tail = NULL;
    N.queued = 0;
    N.busy = 0;
    N.running = 0;
    N.stop = 0;
    pthread_mutex_unlock(&N.lock);
}

void nlog__notify_test_backoff(int64_t base_ns, int64_t max_ns, int attempts, int64_t grace_ns)
{
    pthread_mutex_lock(&N.lock);
    if (grace_ns)
        N.grace_ns = grace_ns;
    if (base_ns)
        N.backoff_base = base_ns;
    if (max_ns)
        N.backoff_max = max_ns;
    if (attempts)
        N.attempts_max = attempts;
    pthread_cond_signal(&N.wake);
    pthread_mutex_unlock(&N.lock);
}

int nlog__notify_wait_idle(int timeout_ms)
{
    struct timespec end;
    deadline_in(&end, (int64_t) timeout_ms * 1000000);
    pthread_mutex_lock(&N.lock);
    pthread_cond_signal(&N.wake);
    for (;;) {
        int64_t now = nlog__clock_monotonic_ns();
        int due = 0;
        for (job *j = N.head; j; j = j->next)
            due |= j->next_at <= now;
        if (!N.busy && !due)
            break;
        if (pthread_cond_timedwait(&N.idle, &N.lock, &end) != 0) {
            pthread_mutex_unlock(&N.lock);
            return -1;
        }
    }
    int left = (int) N.queued;
    pthread_mutex_unlock(&N.lock);
    return left;
}
