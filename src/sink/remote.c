/* remote.c: the remote output (see remote.h and docs/internals/remote.md).
 *
 * Locks: `lock` guards the batch lists, the flush handshake and the
 * lifecycle; `slock` guards the spool (written by the sender, and by a
 * logging thread only when memory is full). Network I/O happens with
 * neither held. Lock order: lock -> slock.
 *
 * What is never lost silently: a batch that cannot be delivered or kept
 * (spool full, spool unusable, the server refusing it as malformed) is
 * counted — records_failed for SECURITY/AUDIT batches and permanent
 * refusals, dropped[level] for evicted ordinary records — and reported
 * through the diagnostics callback once per episode. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <zlib.h>

#include "internal/diag.h"
#include "platform/platform.h"
#include "sink/remote.h"
#include "sink/spool.h"

#define BATCH_MAX (512 * 1024)        /* bytes of lines per batch */
#define MEM_MAX (8 * 1024 * 1024)     /* batches held in memory before spilling */
#define BACKOFF_MIN_NS 100000000LL    /* 100 ms */
#define BACKOFF_MAX_NS 30000000000LL  /* 30 s */
#define SHUTDOWN_DRAIN_NS 5000000000LL
#define SHUTDOWN_BACKOFF_WAIT_NS 1000000000LL
#define CONNECT_TIMEOUT_MS 2000L
#define REQUEST_TIMEOUT_MS 15000L
#define SPOOL_RETRY_NS 1000000000LL

typedef struct rbatch {
    struct rbatch *next;
    char *data;
    size_t len, cap;
    uint64_t counts[NLOG_LEVEL_COUNT];
} rbatch;

typedef struct remote_sink {
    nlog__sink base;
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    rbatch *open, *ready, *ready_tail;
    size_t mem_bytes;
    int64_t open_since_ns;
    uint64_t flush_req, flush_done;
    int stop, running;
    int64_t pid;
    pthread_t thread;

    char url[NLOG_CONFIG_URL_MAX + 32];
    char auth[300];              /* "Authorization: Bearer KEY" or "" (server_api_key) */
    char spool_dir[NLOG_CONFIG_PATH_MAX + 16];
    int64_t spool_cap;
    int64_t interval_ns;

    pthread_mutex_t slock;
    nlog__spool *spool;
    int spool_disabled;        /* this process may not use the spool (a forked child) */
    int64_t spool_retry_ns;

    /* Sender thread only. */
    CURL *curl;
    struct curl_slist *headers;
    int down;
    int64_t retry_at_ns, backoff_ns;
    unsigned rng;

    /* Episode flags for once-per-condition diagnostics (atomic). */
    int reported_down, reported_full, reported_refused, reported_nospool;
    struct remote_sink *next_live; /* the fork-safety list below */
} remote_sink;

/* fork(): the child has only the forking thread. Taking the outputs' locks
 * around fork() could deadlock with the state lock the logging path holds,
 * so the child instead starts every live remote output afresh: new locks, no
 * inherited batches (the parent sends them; the child's copies are left
 * untouched rather than freed, since a sender may have been changing them),
 * no spool (it is the parent's), and a sender of its own on its first record. */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static remote_sink *live;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void fork_child(void)
{
    pthread_mutex_init(&live_lock, NULL);
    for (remote_sink *r = live; r; r = r->next_live) {
        pthread_mutex_init(&r->lock, NULL);
        pthread_mutex_init(&r->slock, NULL);
        pthread_cond_init(&r->wake, NULL);
        pthread_cond_init(&r->done, NULL);
        r->ready = r->ready_tail = r->open = NULL;
        r->mem_bytes = 0;
        r->running = 0;
        r->stop = 0;
        r->flush_done = r->flush_req;
        r->spool = NULL;
        r->spool_disabled = 1;
        r->curl = NULL;
        r->headers = NULL;
        r->down = 0;
        r->backoff_ns = 0;
    }
}

static void atfork_register(void)
{
    (void) pthread_atfork(NULL, NULL, fork_child);
}

static int64_t mono(void)
{
    return nlog__clock_monotonic_ns();
}

/* ---- batches ---------------------------------------------------------------- */

static rbatch *batch_new(size_t want)
{
    rbatch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->cap = want > BATCH_MAX ? want : BATCH_MAX;
    b->data = malloc(b->cap);
    if (!b->data) {
        free(b);
        return NULL;
    }
    return b;
}

static void batch_free(rbatch *b)
{
    if (b) {
        free(b->data);
        free(b);
    }
}

static uint64_t batch_records(const rbatch *b)
{
    uint64_t n = 0;
    for (int i = 0; i < NLOG_LEVEL_COUNT; i++)
        n += b->counts[i];
    return n;
}

/* The level of one JSON line as the library writes it: the member follows
 * the fixed-width timestamp, so it is read at a fixed offset. */
static int line_level_index(const char *l, size_t n)
{
    static const char lead[] = "\",\"level\":\"";
    if (n > 56 && memcmp(l + 41, lead, sizeof lead - 1) == 0) {
        switch (l[52]) {
        case 'T': return 0;
        case 'D': return 1;
        case 'I': return 2;
        case 'W': return 3;
        case 'E': return 4;
        case 'C': return 5;
        case 'S': return 6;
        case 'A': return 7;
        }
    }
    return 2; /* not a line of ours: counted as INFO */
}

static void count_lines(rbatch *b, const char *p, size_t len)
{
    while (len) {
        const char *nl = memchr(p, '\n', len);
        size_t n = nl ? (size_t) (nl - p) + 1 : len;
        b->counts[line_level_index(p, n)]++;
        p += n;
        len -= n;
    }
}

static void ready_push(remote_sink *r, rbatch *b)
{
    b->next = NULL;
    if (r->ready_tail)
        r->ready_tail->next = b;
    else
        r->ready = b;
    r->ready_tail = b;
}

/* gzip of b's lines, malloc'd. */
static void *gzip_batch(const rbatch *b, size_t *ret_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&z, (uLong) b->len);
    unsigned char *out = malloc(cap);
    if (!out) {
        deflateEnd(&z);
        return NULL;
    }
    z.next_in = (unsigned char *) b->data;
    z.avail_in = (uInt) b->len;
    z.next_out = out;
    z.avail_out = (uInt) cap;
    int rc = deflate(&z, Z_FINISH);
    *ret_len = cap - z.avail_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

static void new_batch_id(remote_sink *r, char out[40])
{
    unsigned char raw[16];
    static const char hex[] = "0123456789abcdef";
    if (nlog__random(raw, sizeof raw) != 0) { /* no entropy source: time and a counter */
        uint64_t t = (uint64_t) nlog__clock_realtime_ns(), c = ++r->rng;
        memcpy(raw, &t, 8);
        memcpy(raw + 8, &c, 8);
    }
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[32] = '\0';
}

/* ---- counting what cannot be kept -------------------------------------------- */

static void count_lost(remote_sink *r, const uint64_t counts[NLOG_LEVEL_COUNT], const char *why)
{
    uint64_t prot = counts[6] + counts[7], other = 0;
    for (int i = 0; i < 6; i++) {
        other += counts[i];
        if (counts[i])
            NLOG__COUNT(dropped[i], counts[i]);
    }
    if (prot)
        NLOG__COUNT(records_failed, prot);
    if (!__atomic_exchange_n(&r->reported_full, 1, __ATOMIC_RELAXED))
        nlog__diag(NLOG_DIAG_OUTPUT_FAILED, NLOG_ELIMIT, 0, r->spool_dir,
                   "remote output %s: %s; %llu records dropped, %llu SECURITY/AUDIT records "
                   "could not be kept (counted in records_failed; they remain in the local "
                   "security/audit files when files are enabled)",
                   r->url, why, (unsigned long long) other, (unsigned long long) prot);
}

/* Opens the spool when it is not open yet (another output of this process
 * may still hold it during a reconfiguration: try again later). Called with
 * slock held. */
static nlog__spool *spool_get(remote_sink *r)
{
    if (r->spool || r->spool_disabled)
        return r->spool;
    int64_t now = mono();
    if (now < r->spool_retry_ns)
        return NULL;
    nlog_status st = nlog__spool_open(r->spool_dir, r->spool_cap, &r->spool);
    if (st != NLOG_OK) {
        r->spool = NULL;
        r->spool_retry_ns = now + SPOOL_RETRY_NS;
        if (!__atomic_exchange_n(&r->reported_nospool, 1, __ATOMIC_RELAXED))
            nlog__diag(NLOG_DIAG_OUTPUT_FAILED, st, errno, r->spool_dir,
                       "remote output: cannot use the spool directory %s (%s); batches the "
                       "server does not take are retried from memory until it is usable",
                       r->spool_dir,
                       st == NLOG_ESTATE ? "locked by another process" : strerror(errno));
    }
    return r->spool;
}

/* Keeps a batch on disk. Returns 0, or -1 if it could not be kept (counted). */
static int spool_batch(remote_sink *r, const nlog__spool_meta *m, const void *gz, size_t gzlen)
{
    uint64_t evicted[NLOG_LEVEL_COUNT] = {0};
    pthread_mutex_lock(&r->slock);
    nlog__spool *sp = spool_get(r);
    nlog_status st = sp ? nlog__spool_put(sp, m, gz, gzlen, evicted) : NLOG_EIO;
    pthread_mutex_unlock(&r->slock);
    uint64_t ev = 0;
    for (int i = 0; i < NLOG_LEVEL_COUNT; i++)
        ev += evicted[i];
    if (ev)
        count_lost(r, evicted, "the spool is full: the oldest batches without SECURITY/AUDIT "
                               "records were deleted to make room");
    if (st != NLOG_OK) {
        count_lost(r, m->counts, sp ? "the spool is full (server_spool_max_size)"
                                    : "the spool directory cannot be used");
        return -1;
    }
    uint64_t n = 0;
    for (int i = 0; i < NLOG_LEVEL_COUNT; i++)
        n += m->counts[i];
    NLOG__COUNT(remote_spooled, n);
    return 0;
}

/* ---- HTTP ------------------------------------------------------------------- */

enum send_result { SENT, RETRY, REFUSED };

typedef struct resp {
    char text[2048];
    size_t len;
} resp;

static size_t on_body(char *p, size_t size, size_t n, void *user)
{
    resp *r = user;
    size_t got = size * n, room = sizeof r->text - 1 - r->len;
    size_t take = got < room ? got : room;
    memcpy(r->text + r->len, p, take);
    r->len += take;
    r->text[r->len] = '\0';
    return got;
}

static int curl_ready(remote_sink *r)
{
    if (r->curl)
        return 1;
    r->curl = curl_easy_init();
    if (!r->curl)
        return 0;
    r->headers = curl_slist_append(NULL, "Content-Type: application/x-ndjson");
    r->headers = curl_slist_append(r->headers, "Content-Encoding: gzip");
    r->headers = curl_slist_append(r->headers, "Expect:");
    if (r->auth[0])
        r->headers = curl_slist_append(r->headers, r->auth);
    curl_easy_setopt(r->curl, CURLOPT_URL, r->url);
    curl_easy_setopt(r->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(r->curl, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    curl_easy_setopt(r->curl, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
    curl_easy_setopt(r->curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, on_body);
    return 1;
}

static enum send_result post(remote_sink *r, const char *batch_id, const void *gz, size_t len,
                             uint64_t records)
{
    if (!curl_ready(r))
        return RETRY;
    char idh[64];
    snprintf(idh, sizeof idh, "X-Batch-Id: %s", batch_id);
    struct curl_slist *h = curl_slist_append(NULL, idh);
    for (struct curl_slist *x = r->headers; x && h; x = x->next)
        h = curl_slist_append(h, x->data);
    resp body = {.len = 0};
    body.text[0] = '\0';
    curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, gz);
    curl_easy_setopt(r->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) len);
    curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, &body);
    CURLcode rc = curl_easy_perform(r->curl);
    long code = 0;
    curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(h);
    if (rc == CURLE_OK && code >= 200 && code < 300) {
        const char *rej = strstr(body.text, "\"rejected\":");
        unsigned long long n = rej ? strtoull(rej + 11, NULL, 10) : 0;
        if (n) {
            NLOG__COUNT(records_failed, n);
            if (!__atomic_exchange_n(&r->reported_refused, 1, __ATOMIC_RELAXED))
                nlog__diag(NLOG_DIAG_OUTPUT_FAILED, NLOG_EIO, 0, r->url,
                           "remote output: the server refused %llu records of a batch "
                           "(counted in records_failed)", n);
        }
        NLOG__COUNT(remote_sent, records - n);
        if (__atomic_exchange_n(&r->reported_down, 0, __ATOMIC_RELAXED))
            nlog__diag(NLOG_DIAG_OUTPUT_RECOVERED, NLOG_OK, 0, r->url,
                       "remote output: %s takes records again", r->url);
        __atomic_store_n(&r->reported_full, 0, __ATOMIC_RELAXED);
        return SENT;
    }
    if (rc == CURLE_OK && (code == 401 || code == 403)) {
        /* A missing or wrong key (server_api_key) is fixed by configuration,
         * not by dropping logs: keep the batch in the spool and retry. */
        NLOG__COUNT(remote_retries, 1);
        if (!__atomic_exchange_n(&r->reported_down, 1, __ATOMIC_RELAXED))
            nlog__diag(NLOG_DIAG_OUTPUT_FAILED, NLOG_EIO, 0, r->url,
                       "remote output: %s refused the API key (HTTP %ld: %s server_api_key); "
                       "batches are kept in %s and resent with backoff",
                       r->url, code, r->auth[0] ? "check" : "set", r->spool_dir);
        return RETRY;
    }
    if (rc == CURLE_OK && code >= 400 && code < 500 && code != 408 && code != 429) {
        /* The server will never take this batch (malformed, too large). */
        NLOG__COUNT(records_failed, records);
        nlog__diag(NLOG_DIAG_OUTPUT_FAILED, NLOG_EIO, 0, r->url,
                   "remote output: %s refused a batch of %llu records with HTTP %ld: %.300s",
                   r->url, (unsigned long long) records, code, body.text);
        return REFUSED;
    }
    NLOG__COUNT(remote_retries, 1);
    if (!__atomic_exchange_n(&r->reported_down, 1, __ATOMIC_RELAXED))
        nlog__diag(NLOG_DIAG_OUTPUT_FAILED, NLOG_EIO, 0, r->url,
                   "remote output: cannot deliver to %s (%s); batches are kept in %s and "
                   "resent with backoff",
                   r->url, rc != CURLE_OK ? curl_easy_strerror(rc) : "the server is busy",
                   r->spool_dir);
    return RETRY;
}

static void went_down(remote_sink *r)
{
    int64_t base = r->backoff_ns ? r->backoff_ns * 2 : BACKOFF_MIN_NS;
    if (base > BACKOFF_MAX_NS)
        base = BACKOFF_MAX_NS;
    r->backoff_ns = base;
    r->rng = r->rng * 1103515245u + 12345u;
    /* "equal jitter": between half and all of the backoff */
    int64_t wait = base / 2 + (int64_t) ((uint64_t) r->rng % (uint64_t) (base / 2 + 1));
    r->down = 1;
    r->retry_at_ns = mono() + wait;
}

static void went_up(remote_sink *r)
{
    r->down = 0;
    r->backoff_ns = 0;
}

/* ---- the sender ---------------------------------------------------------------- */

void (*nlog__remote_sent_hook)(void);

/* Sends (or, while the server is down or older batches wait, spools) one
 * fresh batch. */
static void deliver(remote_sink *r, rbatch *b)
{
    nlog__spool_meta m;
    memcpy(m.counts, b->counts, sizeof m.counts);
    new_batch_id(r, m.batch_id);
    size_t gzlen = 0;
    void *gz = gzip_batch(b, &gzlen);
    uint64_t n = batch_records(b);
    if (!gz) {
        count_lost(r, m.counts, "out of memory compressing a batch");
        return;
    }
    pthread_mutex_lock(&r->slock);
    nlog__spool *sp = spool_get(r);
    int queued = sp && nlog__spool_count(sp) > 0;
    pthread_mutex_unlock(&r->slock);
    if (!queued && !(r->down && mono() < r->retry_at_ns)) {
        enum send_result res = post(r, m.batch_id, gz, gzlen, n);
        if (res == SENT)
            went_up(r);
        if (res != RETRY) {
            free(gz);
            return;
        }
        went_down(r);
    }
    (void) spool_batch(r, &m, gz, gzlen);
    free(gz);
}

/* Sends spooled batches, oldest first, until the spool is empty, the server
 * fails, or (when deadline is set) time runs out. */
static void drain_spool(remote_sink *r, int64_t deadline)
{
    for (;;) {
        int64_t now = mono();
        if (deadline && now >= deadline)
            return;
        if (r->down && now < r->retry_at_ns) {
            /* At shutdown, wait out a short backoff (a server that just came
             * back); a long one means the server is away: keep the spool. */
            if (!deadline || r->retry_at_ns >= deadline ||
                r->retry_at_ns - now > SHUTDOWN_BACKOFF_WAIT_NS)
                return;
            struct timespec ts = {(time_t) ((r->retry_at_ns - now) / 1000000000LL),
                                  (long) ((r->retry_at_ns - now) % 1000000000LL)};
            nanosleep(&ts, NULL);
        }
        nlog__spool_meta m;
        void *body = NULL;
        size_t len = 0;
        uint64_t lost[NLOG_LEVEL_COUNT] = {0}, seq = 0;
        pthread_mutex_lock(&r->slock);
        nlog__spool *sp = spool_get(r);
        /* The peeked batch is in flight: a logging thread's spill may put
         * batches meanwhile, but cannot evict this one, and it is removed
         * by its sequence number below (spool.h). */
        int got = sp ? nlog__spool_peek(sp, &m, &body, &len, lost, &seq) : 0;
        pthread_mutex_unlock(&r->slock);
        if (got < 0) {
            count_lost(r, lost, "a spooled batch could not be read");
            continue;
        }
        if (got == 0)
            return;
        uint64_t n = 0;
        for (int i = 0; i < NLOG_LEVEL_COUNT; i++)
            n += m.counts[i];
        enum send_result res = post(r, m.batch_id, body, len, n);
        free(body);
        if (nlog__remote_sent_hook)
            nlog__remote_sent_hook();
        if (res == RETRY) {
            pthread_mutex_lock(&r->slock);
            nlog__spool_unpin(r->spool);
            pthread_mutex_unlock(&r->slock);
            went_down(r);
            return;
        }
        went_up(r);
        pthread_mutex_lock(&r->slock);
        nlog__spool_pop(r->spool, seq);
        pthread_mutex_unlock(&r->slock);
    }
}

static void deadline_in(struct timespec *ts, int64_t ns)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    int64_t t = ts->tv_nsec + ns;
    ts->tv_sec += (time_t) (t / 1000000000LL);
    ts->tv_nsec = (long) (t % 1000000000LL);
}

static void *sender_main(void *arg)
{
    remote_sink *r = arg;
    r->rng = (unsigned) nlog__clock_realtime_ns();
    for (;;) {
        pthread_mutex_lock(&r->lock);
        for (;;) {
            int64_t now = mono();
            int open_due = r->open && now - r->open_since_ns >= r->interval_ns;
            if (r->stop || r->ready || open_due || r->flush_req != r->flush_done)
                break;
            int64_t wait = r->open ? r->open_since_ns + r->interval_ns - now : 1000000000LL;
            if (r->down && r->retry_at_ns - now < wait)
                wait = r->retry_at_ns - now;
            pthread_mutex_lock(&r->slock);
            int spooled = r->spool && nlog__spool_count(r->spool) > 0;
            pthread_mutex_unlock(&r->slock);
            if (!r->down && spooled)
                break; /* spooled batches from an earlier run or outage */
            if (wait <= 0)
                break;
            struct timespec ts;
            deadline_in(&ts, wait);
            pthread_cond_timedwait(&r->wake, &r->lock, &ts);
            if (r->down && mono() >= r->retry_at_ns)
                break;
        }
        if (r->open && (r->stop || r->flush_req != r->flush_done ||
                        mono() - r->open_since_ns >= r->interval_ns)) {
            ready_push(r, r->open);
            r->open = NULL;
        }
        rbatch *list = r->ready;
        r->ready = r->ready_tail = NULL;
        r->mem_bytes = 0;
        uint64_t req = r->flush_req;
        int stopping = r->stop;
        pthread_mutex_unlock(&r->lock);

        while (list) {
            rbatch *b = list;
            list = b->next;
            deliver(r, b);
            batch_free(b);
        }
        drain_spool(r, stopping ? mono() + SHUTDOWN_DRAIN_NS : 0);

        pthread_mutex_lock(&r->lock);
        r->flush_done = req;
        pthread_cond_broadcast(&r->done);
        int finished = stopping && !r->ready && !r->open;
        pthread_mutex_unlock(&r->lock);
        if (finished)
            break;
    }
    return NULL;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_start(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Called with r->lock held: start the sender (first record, or after fork). */
static int ensure_running(remote_sink *r)
{
    int64_t pid = nlog__process_id();
    if (r->running)
        return 1;
    (void) pthread_once(&curl_once, curl_start);
    if (pthread_create(&r->thread, NULL, sender_main, r) != 0)
        return 0;
    r->running = 1;
    r->pid = pid;
    return 1;
}

/* With r->lock held and memory over MEM_MAX: the oldest ready batch goes to
 * the spool from this (logging) thread, so memory stays bounded without
 * dropping or waiting for the network. */
static void spill_locked(remote_sink *r)
{
    while (r->mem_bytes > MEM_MAX && r->ready) {
        rbatch *b = r->ready;
        r->ready = b->next;
        if (!r->ready)
            r->ready_tail = NULL;
        r->mem_bytes -= b->len;
        nlog__spool_meta m;
        memcpy(m.counts, b->counts, sizeof m.counts);
        new_batch_id(r, m.batch_id);
        size_t gzlen = 0;
        void *gz = gzip_batch(b, &gzlen);
        if (gz)
            (void) spool_batch(r, &m, gz, gzlen);
        else
            count_lost(r, m.counts, "out of memory compressing a batch");
        free(gz);
        batch_free(b);
    }
}

static nlog_status remote_write(nlog__sink *s, const char *line, size_t len)
{
    remote_sink *r = (remote_sink *) s;
    pthread_mutex_lock(&r->lock);
    if (!ensure_running(r)) {
        pthread_mutex_unlock(&r->lock);
        NLOG__COUNT(records_failed, 1);
        return NLOG_EIO;
    }
    if (r->open && r->open->len + len > r->open->cap) {
        r->mem_bytes += r->open->len;
        ready_push(r, r->open);
        r->open = NULL;
        pthread_cond_signal(&r->wake);
    }
    if (!r->open) {
        r->open = batch_new(len);
        if (!r->open) {
            pthread_mutex_unlock(&r->lock);
            NLOG__COUNT(records_failed, 1);
            return NLOG_ENOMEM;
        }
        r->open_since_ns = mono();
    }
    memcpy(r->open->data + r->open->len, line, len);
    r->open->len += len;
    count_lines(r->open, line, len);
    if (r->mem_bytes > MEM_MAX)
        spill_locked(r);
    pthread_mutex_unlock(&r->lock);
    return NLOG_OK;
}

/* Waits until everything written before has been delivered or spooled. */
static nlog_status remote_flush(nlog__sink *s)
{
    remote_sink *r = (remote_sink *) s;
    pthread_mutex_lock(&r->lock);
    if (!r->running) {
        pthread_mutex_unlock(&r->lock);
        return NLOG_OK;
    }
    uint64_t req = ++r->flush_req;
    pthread_cond_signal(&r->wake);
    while (r->flush_done < req && r->running)
        pthread_cond_wait(&r->done, &r->lock);
    pthread_mutex_unlock(&r->lock);
    return NLOG_OK;
}

static nlog_status remote_sync(nlog__sink *s)
{
    (void) s;
    return NLOG_OK;
}

static void remote_destroy(nlog__sink *s)
{
    remote_sink *r = (remote_sink *) s;
    if (!r)
        return;
    pthread_mutex_lock(&live_lock);
    for (remote_sink **pp = &live; *pp; pp = &(*pp)->next_live)
        if (*pp == r) {
            *pp = r->next_live;
            break;
        }
    pthread_mutex_unlock(&live_lock);
    pthread_mutex_lock(&r->lock);
    int join = r->running;
    r->stop = 1;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->lock);
    if (join)
        pthread_join(r->thread, NULL);
    for (rbatch *b = r->ready; b;) {
        rbatch *n = b->next;
        batch_free(b);
        b = n;
    }
    batch_free(r->open);
    if (r->curl)
        curl_easy_cleanup(r->curl);
    curl_slist_free_all(r->headers);
    explicit_bzero(r->auth, sizeof r->auth);
    if (!r->spool_disabled)
        nlog__spool_close(r->spool);
    pthread_mutex_destroy(&r->lock);
    pthread_mutex_destroy(&r->slock);
    pthread_cond_destroy(&r->wake);
    pthread_cond_destroy(&r->done);
    free(r);
}

static const nlog__sink_ops remote_ops = {
    .name = "remote",
    .write = remote_write,
    .flush = remote_flush,
    .sync = remote_sync,
    .destroy = remote_destroy,
};

nlog_status nlog__remote_sink_create(const nlog_config *cfg, nlog__sink **ret_sink)
{
    remote_sink *r = calloc(1, sizeof *r);
    if (!r)
        return NLOG_ENOMEM;
    r->base.ops = &remote_ops;
    pthread_mutex_init(&r->lock, NULL);
    pthread_mutex_init(&r->slock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->wake, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&r->done, NULL);
    size_t ul = strlen(cfg->server_url);
    while (ul && cfg->server_url[ul - 1] == '/')
        ul--;
    snprintf(r->url, sizeof r->url, "%.*s/api/v2/logs/entries", (int) ul, cfg->server_url);
    if (cfg->server_api_key[0])
        snprintf(r->auth, sizeof r->auth, "Authorization: Bearer %s", cfg->server_api_key);
    if (cfg->server_spool_directory[0])
        snprintf(r->spool_dir, sizeof r->spool_dir, "%s", cfg->server_spool_directory);
    else
        snprintf(r->spool_dir, sizeof r->spool_dir, "%s/spool", cfg->directory);
    r->spool_cap = cfg->server_spool_max_size > 0 ? cfg->server_spool_max_size : 64 << 20;
    r->interval_ns = (int64_t) (cfg->server_flush_interval_ms > 0 ? cfg->server_flush_interval_ms
                                                                   : 200) * 1000000LL;
    (void) pthread_once(&atfork_once, atfork_register);
    pthread_mutex_lock(&live_lock);
    r->next_live = live;
    live = r;
    pthread_mutex_unlock(&live_lock);
    *ret_sink = &r->base;
    return NLOG_OK;
}
