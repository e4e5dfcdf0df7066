/* notify.c: the notification queues and their delivery threads (see
 * notify.h).
 *
 * State `N`, guarded by N.lock: the channels in force, per channel a queue
 * (a list ordered by arrival; each job has the monotonic time of its next
 * attempt), its thread's lifecycle and its failing flag. A job carries
 * copies of everything it needs (URL, addresses, body), so reconfiguration
 * never changes a message already queued. A channel's thread takes a due job
 * out of its queue, delivers it without the lock, then, under the lock,
 * puts it back for a retry or frees it, and reports with the lock released
 * (a diagnostics callback may take its time or call back into the library).
 * Timed waits use CLOCK_MONOTONIC condition variables and short real-time
 * bounds, so a wall-clock step never stalls them and a test's fake clock is
 * followed.
 * Tested by: tests/unit/perf/test_notify.c */
#include <curl/curl.h>
#include <pthread.h>
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

#define QUEUE_MAX 256 /* jobs per channel */
#define POLL_NS 200000000LL /* real time between two looks at the (maybe fake) clock */

enum { CH_MAIL = 0, CH_WEBHOOK = 1, CH_COUNT = 2 };
static const char *const ch_name[CH_COUNT] = {"alert e-mail", "alert webhook"};

typedef struct job {
    struct job *next;
    int channel;
    int attempts;
    int64_t first_at;  /* monotonic ns: when it was queued (the budget counts from here) */
    int64_t next_at;   /* monotonic ns */
    char *url;
    char *from, *to;   /* e-mail */
    char *body;
    size_t body_len;
    char what[NLOG_PERF_NAME_MAX + 32]; /* "alert 'x' firing", for messages */
} job;

typedef struct chan {
    job *head, *tail;
    size_t queued;
    int busy;            /* a job is being delivered */
    pthread_t thread;
    int running;
    int failing;
    pthread_cond_t wake; /* monotonic */
} chan;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t idle;  /* monotonic: a thread went idle, a job was sent, a stop began */
    pthread_once_t once;
    chan ch[CH_COUNT];
    int stop;
    int64_t abort_at;     /* while stopping: attempts end by this time */
    /* channels */
    int enabled;
    char to[NLOG_CONFIG_EMAIL_MAX];
    char from[NLOG_CONFIG_EMAIL_MAX];
    char smtp_url[NLOG_CONFIG_PATH_MAX];
    char webhook_url[NLOG_CONFIG_PATH_MAX];
    /* policy (tests shorten it) */
    int64_t backoff_base, backoff_max, budget_ns;
    int64_t grace_ns;     /* how long the last attempts at stop may take */
    uint64_t sent, retried, failed, dropped; /* atomics */
} N = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .once = PTHREAD_ONCE_INIT,
    .backoff_base = 1000000000LL,
    .backoff_max = 60 * 1000000000LL,
    .budget_ns = NLOG__NOTIFY_RETRY_BUDGET_NS,
    .grace_ns = 5 * 1000000000LL,
};

static void init_conds(void)
{
    nlog__perf_cond_init(&N.idle);
    for (int c = 0; c < CH_COUNT; c++)
        nlog__perf_cond_init(&N.ch[c].wake);
}

static void notify_init(void)
{
    (void) pthread_once(&N.once, init_conds);
}

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
    notify_init();
    pthread_mutex_lock(&N.lock);
    N.enabled = cfg->alerts_enabled > 0;
    snprintf(N.to, sizeof N.to, "%s", cfg->alert_email);
    snprintf(N.from, sizeof N.from, "%s", cfg->alert_email_from);
    snprintf(N.smtp_url, sizeof N.smtp_url, "%s", cfg->alert_smtp_url);
    snprintf(N.webhook_url, sizeof N.webhook_url, "%s", cfg->alert_webhook_url);
    int want_curl = N.enabled && (cfg->alert_smtp_url[0] || cfg->alert_webhook_url[0]);
    pthread_mutex_unlock(&N.lock);
    if (want_curl)
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

/* ---- delivery threads ------------------------------------------------------- */

static int64_t backoff(int attempts)
{
    int64_t d = N.backoff_base;
    for (int i = 1; i < attempts && d < N.backoff_max; i++)
        d *= 2;
    return d < N.backoff_max ? d : N.backoff_max;
}

/* The first due job of c, unlinked; NULL if none. Locked. */
static job *take_due(chan *c, int64_t now, int64_t *ret_next)
{
    *ret_next = INT64_MAX;
    job *prev = NULL;
    for (job *j = c->head; j; prev = j, j = j->next) {
        if (j->next_at <= now) {
            if (prev)
                prev->next = j->next;
            else
                c->head = j->next;
            if (c->tail == j)
                c->tail = prev;
            j->next = NULL;
            c->queued--;
            return j;
        }
        if (j->next_at < *ret_next)
            *ret_next = j->next_at;
    }
    return NULL;
}

static void append_locked(chan *c, job *j)
{
    j->next = NULL;
    if (c->tail)
        c->tail->next = j;
    else
        c->head = j;
    c->tail = j;
    c->queued++;
}

static int deliver(job *j, const int64_t *abort_at, int64_t *retry_after, char *why,
                   size_t why_size)
{
    *retry_after = 0;
    if (!curl_ready) {
        snprintf(why, why_size, "libcurl could not be initialised");
        return NLOG__SEND_RETRY;
    }
    if (j->channel == CH_MAIL)
        return nlog__mail_send(j->url, j->from, j->to, j->body, j->body_len, abort_at, why,
                               why_size);
    return nlog__webhook_send(j->url, j->body, j->body_len, abort_at, retry_after, why, why_size);
}

typedef struct report {
    nlog_diag_kind kind;
    nlog_status status;
    char text[NLOG_CONFIG_PATH_MAX + 640];
} report;

static void *notify_main(void *arg)
{
    int ch = (int) (intptr_t) arg;
    chan *c = &N.ch[ch];
    nlog__block_async_signals();
    nlog__perf_mark_own_thread();
    pthread_mutex_lock(&N.lock);
    for (;;) {
        int64_t now = nlog__clock_monotonic_ns(), next;
        job *j = take_due(c, now, &next);
        if (!j) {
            pthread_cond_broadcast(&N.idle);
            if (N.stop)
                break;
            int64_t wait = next == INT64_MAX ? POLL_NS : next - now;
            if (wait > POLL_NS)
                wait = POLL_NS;
            struct timespec ts;
            nlog__perf_deadline(&ts, wait > 1000000 ? wait : 1000000);
            (void) pthread_cond_timedwait(&c->wake, &N.lock, &ts);
            continue;
        }
        c->busy = 1;
        pthread_mutex_unlock(&N.lock);

        char why[256] = "", where[NLOG_CONFIG_PATH_MAX + 16];
        int64_t retry_after;
        int r = deliver(j, &N.abort_at, &retry_after, why, sizeof why);
        (void) nlog__url_redact(j->url, strlen(j->url), where, sizeof where);
        j->attempts++;
        report rep[2];
        int n_rep = 0;

        pthread_mutex_lock(&N.lock);
        int stopping = N.stop; /* no retries once stopping */
        now = nlog__clock_monotonic_ns();
        if (r == NLOG__SEND_OK) {
            __atomic_fetch_add(&N.sent, 1, __ATOMIC_RELAXED);
            if (c->failing) {
                c->failing = 0;
                rep[n_rep].kind = NLOG_DIAG_OUTPUT_RECOVERED;
                rep[n_rep].status = NLOG_OK;
                snprintf(rep[n_rep++].text, sizeof rep[0].text, "%s delivery to %s works again",
                         ch_name[ch], where);
            }
        } else {
            int64_t delay = backoff(j->attempts);
            if (retry_after > delay)
                delay = retry_after;
            int retry = r == NLOG__SEND_RETRY && !stopping &&
                        now + delay - j->first_at <= N.budget_ns;
            if (!c->failing) {
                c->failing = 1;
                rep[n_rep].kind = NLOG_DIAG_OUTPUT_FAILED;
                rep[n_rep].status = NLOG_EIO;
                snprintf(rep[n_rep++].text, sizeof rep[0].text, "%s delivery to %s failed: %s%s",
                         ch_name[ch], where, why, retry ? "; retrying with backoff" : "");
            }
            if (retry) {
                __atomic_fetch_add(&N.retried, 1, __ATOMIC_RELAXED);
                j->next_at = now + delay;
                append_locked(c, j);
                j = NULL;
            } else {
                __atomic_fetch_add(&N.failed, 1, __ATOMIC_RELAXED);
                rep[n_rep].kind = NLOG_DIAG_OUTPUT_FAILED;
                rep[n_rep].status = NLOG_EIO;
                snprintf(rep[n_rep++].text, sizeof rep[0].text,
                         "%s for %s given up after %d attempt%s%s: %s (%s)", ch_name[ch], j->what,
                         j->attempts, j->attempts == 1 ? "" : "s",
                         r == NLOG__SEND_RETRY && !stopping ? " (retry budget spent)" : "", why,
                         where);
            }
        }
        pthread_mutex_unlock(&N.lock);
        for (int i = 0; i < n_rep; i++)
            nlog__diag(rep[i].kind, rep[i].status, 0, ch_name[ch], "%s", rep[i].text);
        job_free(j);
        pthread_mutex_lock(&N.lock);
        c->busy = 0; /* only now: waiters see the job's reports made */
        pthread_cond_broadcast(&N.idle);
    }
    pthread_mutex_unlock(&N.lock);
    return NULL;
}

/* ---- queueing ---------------------------------------------------------------- */

static void enqueue(job *j)
{
    notify_init();
    chan *c = &N.ch[j->channel];
    pthread_mutex_lock(&N.lock);
    if (N.stop || c->queued >= QUEUE_MAX) {
        static int reported;
        int first = !reported;
        reported = 1;
        pthread_mutex_unlock(&N.lock);
        __atomic_fetch_add(&N.dropped, 1, __ATOMIC_RELAXED);
        if (first)
            nlog__diag(NLOG_DIAG_OUTPUT_FAILED, NLOG_EQUEUE_FULL, 0, ch_name[j->channel],
                       "the %s queue is full (%d jobs); %s for %s was dropped (further drops "
                       "are only counted)",
                       ch_name[j->channel], QUEUE_MAX, ch_name[j->channel], j->what);
        job_free(j);
        return;
    }
    j->first_at = j->next_at = nlog__clock_monotonic_ns();
    append_locked(c, j);
    int err = 0;
    if (!c->running) {
        err = pthread_create(&c->thread, NULL, notify_main, (void *) (intptr_t) j->channel);
        if (err == 0)
            c->running = 1;
    }
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&N.lock);
    if (err)
        nlog__diag(NLOG_DIAG_INTERNAL, NLOG_ENOMEM, err, "alerts",
                   "cannot start the %s delivery thread (error %d); notifications stay queued",
                   ch_name[j->channel], err);
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
    notify_init();
    pthread_mutex_lock(&N.lock);
    int any = 0;
    for (int i = 0; i < CH_COUNT; i++)
        any |= N.ch[i].running;
    if (any) {
        N.stop = 1;
        int64_t now = nlog__clock_monotonic_ns();
        __atomic_store_n(&N.abort_at, now + N.grace_ns, __ATOMIC_RELAXED);
        pthread_cond_broadcast(&N.idle); /* tests wait for the stop to begin */
        /* jobs waiting for a retry are not due: they are dropped here */
        for (int i = 0; i < CH_COUNT; i++) {
            chan *c = &N.ch[i];
            for (job **pp = &c->head; *pp;) {
                job *j = *pp;
                if (j->next_at > now) {
                    *pp = j->next;
                    c->queued--;
                    __atomic_fetch_add(&N.dropped, 1, __ATOMIC_RELAXED);
                    job_free(j);
                } else {
                    pp = &j->next;
                }
            }
            c->tail = NULL;
            for (job *j = c->head; j; j = j->next)
                c->tail = j;
            pthread_cond_signal(&c->wake);
        }
        pthread_t t[CH_COUNT];
        int run[CH_COUNT];
        for (int i = 0; i < CH_COUNT; i++) {
            t[i] = N.ch[i].thread;
            run[i] = N.ch[i].running;
        }
        pthread_mutex_unlock(&N.lock);
        for (int i = 0; i < CH_COUNT; i++)
            if (run[i])
                pthread_join(t[i], NULL);
        pthread_mutex_lock(&N.lock);
        for (int i = 0; i < CH_COUNT; i++)
            N.ch[i].running = 0;
    }
    /* anything left (no thread could be started) is dropped */
    for (int i = 0; i < CH_COUNT; i++) {
        chan *c = &N.ch[i];
        while (c->head) {
            job *j = c->head;
            c->head = j->next;
            __atomic_fetch_add(&N.dropped, 1, __ATOMIC_RELAXED);
            job_free(j);
        }
        c->tail = NULL;
        c->queued = 0;
        c->failing = 0;
    }
    N.stop = 0;
    __atomic_store_n(&N.abort_at, 0, __ATOMIC_RELAXED);
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
    notify_init();
    pthread_mutex_lock(&N.lock);
}

void nlog__notify_atfork_parent(void)
{
    pthread_mutex_unlock(&N.lock);
}

void nlog__notify_atfork_child(void)
{
    /* The parent delivers what it queued; the child starts empty. Condition
     * variables may count the parent's threads as waiters: new ones. */
    nlog__perf_cond_init(&N.idle);
    for (int i = 0; i < CH_COUNT; i++) {
        chan *c = &N.ch[i];
        nlog__perf_cond_init(&c->wake);
        while (c->head) {
            job *j = c->head;
            c->head = j->next;
            job_free(j);
        }
        c->tail = NULL;
        c->queued = 0;
        c->busy = 0;
        c->running = 0;
    }
    N.stop = 0;
    pthread_mutex_unlock(&N.lock);
}

void nlog__notify_test_policy(int64_t base_ns, int64_t max_ns, int64_t budget_ns, int64_t grace_ns)
{
    notify_init();
    pthread_mutex_lock(&N.lock);
    if (grace_ns)
        N.grace_ns = grace_ns;
    if (base_ns)
        N.backoff_base = base_ns;
    if (max_ns)
        N.backoff_max = max_ns;
    if (budget_ns)
        N.budget_ns = budget_ns;
    for (int i = 0; i < CH_COUNT; i++)
        pthread_cond_signal(&N.ch[i].wake);
    pthread_mutex_unlock(&N.lock);
}

int nlog__notify_wait_idle(int timeout_ms)
{
    notify_init();
    struct timespec end;
    nlog__perf_deadline(&end, (int64_t) timeout_ms * 1000000);
    pthread_mutex_lock(&N.lock);
    for (int i = 0; i < CH_COUNT; i++)
        pthread_cond_signal(&N.ch[i].wake);
    for (;;) {
        int64_t now = nlog__clock_monotonic_ns();
        int work = 0;
        for (int i = 0; i < CH_COUNT; i++) {
            work |= N.ch[i].busy;
            for (job *j = N.ch[i].head; j; j = j->next)
                work |= j->next_at <= now;
        }
        if (!work)
            break;
        if (pthread_cond_timedwait(&N.idle, &N.lock, &end) != 0) {
            pthread_mutex_unlock(&N.lock);
            return -1;
        }
    }
    int left = (int) (N.ch[0].queued + N.ch[1].queued);
    pthread_mutex_unlock(&N.lock);
    return left;
}

int nlog__notify_test_wait_sent(uint64_t n, int timeout_ms)
{
    notify_init();
    struct timespec end;
    nlog__perf_deadline(&end, (int64_t) timeout_ms * 1000000);
    pthread_mutex_lock(&N.lock);
    int rc = 0;
    while (__atomic_load_n(&N.sent, __ATOMIC_RELAXED) < n)
        if (pthread_cond_timedwait(&N.idle, &N.lock, &end) != 0) {
            rc = -1;
            break;
        }
    pthread_mutex_unlock(&N.lock);
    return rc;
}

int nlog__notify_test_wait_stopping(int timeout_ms)
{
    notify_init();
    struct timespec end;
    nlog__perf_deadline(&end, (int64_t) timeout_ms * 1000000);
    pthread_mutex_lock(&N.lock);
    int rc = 0;
    while (!N.stop)
        if (pthread_cond_timedwait(&N.idle, &N.lock, &end) != 0) {
            rc = -1;
            break;
        }
    pthread_mutex_unlock(&N.lock);
    return rc;
}
