/* live_hub.c: the ring of recent entries, the dispatcher and the client
 * queues (see live_hub.h).
 *
 * Positions: every published entry gets the next position (h->head); the
 * ring holds positions [tail, head). The dispatcher has handed positions
 * below `delivered` to every client registered at the time (it advances it
 * under clients_lock), so a client attached now receives exactly the
 * positions from `delivered` on: that is where a memory replay stops.
 * Entries are immutable once published and freed by the last reference.
 * Tested by: tests/integration/server/test_live.py (stream, drops, resume),
 * tests/unit/server/test_live_hub.c */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nlog/level.h>

#include "server/buf.h"
#include "server/entry_json.h"
#include "server/live_hub.h"
#include "server/server.h"

#define CHUNK 1024                    /* entries the dispatcher takes at once */
#define RING_MIN 8192                 /* slots, whatever stream_replay_records says */
#define RING_BYTES (256u << 20)       /* memory the ring may hold, at most */

struct nlogd_live_client {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    nlogd_live_filter filter;
    int max_level;
    nlogd_live_item *q;               /* circular: qlen items from qhead */
    size_t qcap, qhead, qlen;
    uint64_t pending_drop;            /* dropped since the last queued item */
    int paused, kicked;
    int64_t *noted;                   /* ids sent by a store replay, ascending */
    size_t n_noted, cap_noted;
    nlogd_live_entry **replay;        /* memory replay prepared by attach */
    size_t n_replay;
    unsigned char acks[NLOGD_ACKS_MAX]; /* answers for the sender to write, in order */
    size_t n_acks;
};

struct nlogd_hub {
    nlogd_server *srv;
    pthread_mutex_t clients_lock;     /* clients[], delivered */
    nlogd_live_client **clients;
    size_t n_clients, max_clients;
    uint64_t delivered;
    pthread_mutex_t lock;             /* the ring and the positions below */
    pthread_cond_t wake;
    nlogd_live_entry **ring;
    size_t cap;
    uint64_t head, tail, dispatched;
    size_t bytes;
    size_t replay_window;
    size_t queue_entries;
    int stop;
    pthread_t thread;
    uint64_t published, sent, dropped, connections, refused; /* atomics */
    int attached;                     /* atomic: clients attached now */
    int64_t last_seen_ns;             /* atomic: h->now() when a client was last attached */
    int64_t idle_ns;                  /* see IDLE_RING_NS; set once before use */
    int64_t (*now)(void);             /* monotonic ns; replaced by tests */
    int idle_evicted;                 /* under lock: the ring was emptied for an idle hole */
    uint64_t lost;                    /* under lock: entries the hook could not encode, to be
                                         announced to every client as dropped */
};

/* With nobody streaming for this long, the hook stops encoding entries:
 * ingest then pays nothing for the live stream. The first batch it skips
 * empties the ring, so the ring never holds entries from before a hole: a
 * resume_from that old finds nothing in memory and is answered from the
 * store, which has everything. */
#define IDLE_RING_NS (600LL * 1000000000LL)

static int64_t mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void count(uint64_t *c, uint64_t n)
{
    __atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

void nlogd_live_entry_unref(nlogd_live_entry *e)
{
    if (e && __atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) == 0)
        free(e);
}

static nlogd_live_entry *ref(nlogd_live_entry *e)
{
    __atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED);
    return e;
}

void nlogd_live_filter_clear(nlogd_live_filter *f)
{
    free(f->search);
    memset(f, 0, sizeof *f);
}

int nlogd_live_filter_from(nlogd_live_filter *f, const nlogd_filter *sf)
{
    memset(f, 0, sizeof *f);
    f->min_level = sf->min_level;
    snprintf(f->category, sizeof f->category, "%s", sf->category);
    snprintf(f->logger, sizeof f->logger, "%s", sf->logger);
    if (sf->search[0]) {
        char why[128];
        f->search = malloc(sizeof *f->search);
        if (!f->search)
            return -1;
        if (nlogd_search_compile(sf->search, strlen(sf->search), f->search, why, sizeof why) !=
            0) {
            free(f->search);
            f->search = NULL;
            return -1;
        }
        snprintf(f->search_text, sizeof f->search_text, "%s", sf->search);
    }
    return 0;
}

int nlogd_live_match(const nlogd_live_filter *f, int max_level, const nlogd_live_entry *e)
{
    if (e->level < f->min_level || (max_level && e->level > max_level))
        return 0;
    if (f->category[0] && strcmp(f->category, e->category) != 0)
        return 0;
    if (f->logger[0] && strcmp(f->logger, e->logger) != 0)
        return 0;
    if (f->search && !nlogd_search_match(f->search, e->message, e->message_len))
        return 0;
    return 1;
}

int nlogd_live_encode(nlogd_buf *b, const nlogd_entry *e)
{
    nlogd_buf_printf(b, "{\"seq\":\"%lld\",", (long long) e->id);
    size_t at = b->len;
    nlogd_entry_json(b, e);
    if (b->failed || b->len <= at)
        return -1;
    /* drop the entry's own opening brace: the seq member opened the object */
    memmove(b->data + at, b->data + at + 1, b->len - at - 1);
    b->len--;
    b->data[b->len] = '\0';
    return 0;
}

static nlogd_live_entry *make_entry(const nlogd_record *r, nlogd_buf *tmp)
{
    nlogd_entry se;
    memset(&se, 0, sizeof se);
    se.id = r->id;
    se.ts_ns = r->ts_ns;
    se.level = r->level;
    se.category = r->category;
    se.logger = r->logger;
    se.function = r->function;
    se.message = r->message;
    se.message_len = r->message_len;
    se.line = r->line;
    se.pid = r->pid;
    se.tid = r->tid;
    se.context = r->context;
    se.metadata = r->metadata;
    se.perf = r->perf;
    se.extra = r->extra;
    nlogd_buf_reset(tmp);
    tmp->failed = 0;
    if (nlogd_live_encode(tmp, &se) != 0)
        return NULL;
    size_t lc = strlen(r->category) + 1, ll = strlen(r->logger) + 1;
    size_t bytes = sizeof(nlogd_live_entry) + lc + ll + r->message_len + 1 + tmp->len + 1;
    nlogd_live_entry *e = malloc(bytes);
    if (!e)
        return NULL;
    char *p = (char *) (e + 1);
    e->refs = 1;
    e->id = r->id;
    e->level = r->level;
    e->bytes = bytes;
    memcpy(p, r->category, lc);
    e->category = p;
    p += lc;
    memcpy(p, r->logger, ll);
    e->logger = p;
    p += ll;
    if (r->message_len)
        memcpy(p, r->message, r->message_len);
    p[r->message_len] = '\0';
    e->message = p;
    e->message_len = r->message_len;
    p += r->message_len + 1;
    memcpy(p, tmp->data, tmp->len + 1);
    e->json = p;
    e->json_len = tmp->len;
    return e;
}

/* Under h->lock. */
static void evict_oldest(nlogd_hub *h)
{
    nlogd_live_entry **slot = &h->ring[h->tail % h->cap];
    if (*slot) {
        h->bytes -= (*slot)->bytes;
        nlogd_live_entry_unref(*slot);
        *slot = NULL;
    }
    h->tail++;
}

/* The hook skips a batch while idle: the first skip empties the ring, so
 * the hole it leaves is never bridged by a memory replay. Positions not
 * yet dispatched are abandoned too: no client was attached to want them. */
static void idle_skip(nlogd_hub *h)
{
    pthread_mutex_lock(&h->lock);
    if (!h->idle_evicted) {
        while (h->tail < h->head)
            evict_oldest(h);
        if (h->dispatched < h->head)
            h->dispatched = h->head;
        h->idle_evicted = 1;
    }
    pthread_mutex_unlock(&h->lock);
}

void nlogd_hub_publish(void *hub, nlogd_batch *const *batches, size_t n)
{
    nlogd_hub *h = hub;
    if (__atomic_load_n(&h->attached, __ATOMIC_ACQUIRE) == 0 &&
        h->now() - __atomic_load_n(&h->last_seen_ns, __ATOMIC_RELAXED) > h->idle_ns) {
        idle_skip(h);
        return;
    }
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        if (batches[i]->status == NLOG_OK && !batches[i]->duplicate)
            total += batches[i]->n;
    if (!total)
        return;
    nlogd_live_entry **fresh = malloc(total * sizeof *fresh);
    if (!fresh) {
        pthread_mutex_lock(&h->lock);
        h->lost += total; /* out of memory: not silent, every client hears of the gap */
        pthread_cond_signal(&h->wake);
        pthread_mutex_unlock(&h->lock);
        return;
    }
    nlogd_buf tmp;
    nlogd_buf_init(&tmp, 64u << 20);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (batches[i]->status != NLOG_OK || batches[i]->duplicate)
            continue;
        for (size_t j = 0; j < batches[i]->n; j++) {
            nlogd_live_entry *e = make_entry(&batches[i]->recs[j], &tmp);
            if (e)
                fresh[m++] = e;
        }
    }
    nlogd_buf_free(&tmp);
    pthread_mutex_lock(&h->lock);
    h->idle_evicted = 0;
    h->lost += total - m; /* an entry that could not be encoded or allocated */
    for (size_t i = 0; i < m; i++) {
        nlogd_live_entry *e = fresh[i];
        if (h->head - h->tail == h->cap)
            evict_oldest(h);
        while (h->head > h->tail && h->bytes + e->bytes > RING_BYTES)
            evict_oldest(h);
        h->ring[h->head % h->cap] = e;
        h->bytes += e->bytes;
        h->head++;
    }
    pthread_cond_signal(&h->wake);
    pthread_mutex_unlock(&h->lock);
    count(&h->published, m);
    free(fresh);
}

/* Under c->lock. */
static void push(nlogd_hub *h, nlogd_live_client *c, nlogd_live_entry *e)
{
    if (c->qlen == c->qcap) {
        c->pending_drop++;
        count(&h->dropped, 1);
        return;
    }
    nlogd_live_item *it = &c->q[(c->qhead + c->qlen) % c->qcap];
    it->entry = ref(e);
    it->dropped_before = c->pending_drop;
    c->pending_drop = 0;
    c->qlen++;
}

static void *dispatcher(void *arg)
{
    nlogd_hub *h = arg;
    nlogd_live_entry **chunk = malloc(CHUNK * sizeof *chunk);
    if (!chunk)
        return NULL;
    for (;;) {
        pthread_mutex_lock(&h->lock);
        while (!h->stop && h->dispatched == h->head && !h->lost)
            pthread_cond_wait(&h->wake, &h->lock);
        if (h->stop) {
            pthread_mutex_unlock(&h->lock);
            break;
        }
        uint64_t lapped = 0;
        if (h->dispatched < h->tail) {
            /* evicted before they were matched: every client is told */
            lapped = h->tail - h->dispatched;
            h->dispatched = h->tail;
        }
        lapped += h->lost;
        h->lost = 0;
        size_t k = 0;
        while (k < CHUNK && h->dispatched + k < h->head) {
            chunk[k] = ref(h->ring[(h->dispatched + k) % h->cap]);
            k++;
        }
        h->dispatched += k;
        uint64_t upto = h->dispatched;
        pthread_mutex_unlock(&h->lock);

        pthread_mutex_lock(&h->clients_lock);
        for (size_t ci = 0; ci < h->n_clients; ci++) {
            nlogd_live_client *c = h->clients[ci];
            pthread_mutex_lock(&c->lock);
            size_t before = c->qlen;
            uint64_t drops_before = c->pending_drop;
            if (lapped) {
                c->pending_drop += lapped;
                count(&h->dropped, lapped);
            }
            for (size_t i = 0; i < k; i++)
                if (nlogd_live_match(&c->filter, c->max_level, chunk[i]))
                    push(h, c, chunk[i]);
            if (c->qlen != before || c->pending_drop != drops_before)
                pthread_cond_signal(&c->wake);
            pthread_mutex_unlock(&c->lock);
        }
        h->delivered = upto;
        pthread_mutex_unlock(&h->clients_lock);
        for (size_t i = 0; i < k; i++)
            nlogd_live_entry_unref(chunk[i]);
    }
    free(chunk);
    return NULL;
}

int nlogd_hub_start(nlogd_server *srv, nlogd_hub **ret)
{
    nlogd_hub *h = calloc(1, sizeof *h);
    if (!h)
        return -1;
    h->srv = srv;
    h->replay_window = (size_t) srv->cfg.server_stream_replay_records;
    h->cap = h->replay_window > RING_MIN ? h->replay_window : RING_MIN;
    h->max_clients = (size_t) srv->cfg.server_stream_max_clients;
    h->queue_entries = (size_t) srv->cfg.server_stream_queue_entries;
    h->now = mono;
    h->idle_ns = IDLE_RING_NS;
    /* the ring fills from the start: a client may connect at any moment */
    h->last_seen_ns = mono();
    h->ring = calloc(h->cap, sizeof *h->ring);
    h->clients = calloc(h->max_clients ? h->max_clients : 1, sizeof *h->clients);
    if (!h->ring || !h->clients) {
        free(h->ring);
        free(h->clients);
        free(h);
        return -1;
    }
    pthread_mutex_init(&h->clients_lock, NULL);
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->wake, NULL);
    if (pthread_create(&h->thread, NULL, dispatcher, h) != 0) {
        pthread_mutex_destroy(&h->clients_lock);
        pthread_mutex_destroy(&h->lock);
        pthread_cond_destroy(&h->wake);
        free(h->ring);
        free(h->clients);
        free(h);
        return -1;
    }
    nlogd_queue_set_hook(srv->queue, nlogd_hub_publish, h);
    nlogd_live_metrics_register(srv);
    *ret = h;
    return 0;
}

void nlogd_hub_stop(nlogd_hub *h)
{
    if (!h)
        return;
    nlogd_queue_set_hook(h->srv->queue, NULL, NULL);
    pthread_mutex_lock(&h->lock);
    h->stop = 1;
    pthread_cond_signal(&h->wake);
    pthread_mutex_unlock(&h->lock);
    pthread_join(h->thread, NULL);
    while (h->tail < h->head)
        evict_oldest(h);
    pthread_mutex_destroy(&h->clients_lock);
    pthread_mutex_destroy(&h->lock);
    pthread_cond_destroy(&h->wake);
    free(h->ring);
    free(h->clients);
    free(h);
}

nlogd_live_client *nlogd_hub_attach(nlogd_hub *h, nlogd_live_filter *f, int max_level,
                                    int has_resume, int64_t resume_from, int *ret_ring_hit)
{
    *ret_ring_hit = 0;
    nlogd_live_client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->qcap = h->queue_entries;
    c->q = calloc(c->qcap, sizeof *c->q);
    if (!c->q) {
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->wake, &ca);
    pthread_condattr_destroy(&ca);
    c->filter = *f;
    memset(f, 0, sizeof *f);
    c->max_level = max_level;

    pthread_mutex_lock(&h->clients_lock);
    if (h->n_clients >= h->max_clients) {
        pthread_mutex_unlock(&h->clients_lock);
        f->search = c->filter.search; /* hand the filter back for the caller to clear */
        c->filter.search = NULL;
        pthread_mutex_destroy(&c->lock);
        pthread_cond_destroy(&c->wake);
        free(c->q);
        free(c);
        return NULL;
    }
    if (has_resume && h->replay_window) {
        pthread_mutex_lock(&h->lock);
        uint64_t live = h->delivered; /* this client gets positions from here on */
        uint64_t lo = h->tail;
        if (live > h->replay_window && live - h->replay_window > lo)
            lo = live - h->replay_window;
        uint64_t at = live;
        for (uint64_t p = live; p > lo; p--) {
            nlogd_live_entry *e = h->ring[(p - 1) % h->cap];
            if (e && e->id == resume_from) {
                at = p - 1;
                break;
            }
        }
        if (at < live) {
            *ret_ring_hit = 1;
            c->replay = malloc((size_t) (live - at) * sizeof *c->replay);
            for (uint64_t p = at + 1; c->replay && p < live; p++) {
                nlogd_live_entry *e = h->ring[p % h->cap];
                if (e && nlogd_live_match(&c->filter, c->max_level, e))
                    c->replay[c->n_replay++] = ref(e);
            }
        }
        pthread_mutex_unlock(&h->lock);
    }
    h->clients[h->n_clients++] = c;
    __atomic_add_fetch(&h->attached, 1, __ATOMIC_ACQ_REL);
    __atomic_store_n(&h->last_seen_ns, h->now(), __ATOMIC_RELAXED);
    pthread_mutex_unlock(&h->clients_lock);
    return c;
}

void nlogd_hub_detach(nlogd_hub *h, nlogd_live_client *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&h->clients_lock);
    for (size_t i = 0; i < h->n_clients; i++)
        if (h->clients[i] == c) {
            h->clients[i] = h->clients[--h->n_clients];
            __atomic_store_n(&h->last_seen_ns, h->now(), __ATOMIC_RELAXED);
            __atomic_sub_fetch(&h->attached, 1, __ATOMIC_ACQ_REL);
            break;
        }
    pthread_mutex_unlock(&h->clients_lock);
    for (size_t i = 0; i < c->qlen; i++)
        nlogd_live_entry_unref(c->q[(c->qhead + i) % c->qcap].entry);
    for (size_t i = 0; i < c->n_replay; i++)
        nlogd_live_entry_unref(c->replay[i]);
    free(c->replay);
    free(c->q);
    free(c->noted);
    nlogd_live_filter_clear(&c->filter);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->wake);
    free(c);
}

void nlogd_hub_set_filter(nlogd_live_client *c, nlogd_live_filter *f)
{
    pthread_mutex_lock(&c->lock);
    nlogd_live_filter old = c->filter;
    c->filter = *f;
    memset(f, 0, sizeof *f);
    pthread_mutex_unlock(&c->lock);
    nlogd_live_filter_clear(&old);
}

void nlogd_hub_get_filter(nlogd_live_client *c, nlogd_live_filter *out)
{
    pthread_mutex_lock(&c->lock);
    *out = c->filter;
    out->search = NULL;
    pthread_mutex_unlock(&c->lock);
}

int nlogd_hub_set_filter_ack(nlogd_live_client *c, nlogd_live_filter *f)
{
    pthread_mutex_lock(&c->lock);
    if (c->n_acks == NLOGD_ACKS_MAX) {
        pthread_mutex_unlock(&c->lock);
        return -1;
    }
    nlogd_live_filter old = c->filter;
    c->filter = *f;
    memset(f, 0, sizeof *f);
    c->acks[c->n_acks++] = NLOGD_ACK_FILTER;
    c->kicked = 1;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    nlogd_live_filter_clear(&old);
    return 0;
}

int nlogd_hub_set_paused_ack(nlogd_live_client *c, int paused)
{
    pthread_mutex_lock(&c->lock);
    if (c->n_acks == NLOGD_ACKS_MAX) {
        pthread_mutex_unlock(&c->lock);
        return -1;
    }
    c->paused = paused;
    c->acks[c->n_acks++] = paused ? NLOGD_ACK_PAUSED : NLOGD_ACK_RESUMED;
    c->kicked = 1;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    return 0;
}

void nlogd_hub_set_paused(nlogd_live_client *c, int paused)
{
    pthread_mutex_lock(&c->lock);
    c->paused = paused;
    c->kicked = 1;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
}

void nlogd_hub_kick(nlogd_live_client *c)
{
    pthread_mutex_lock(&c->lock);
    c->kicked = 1;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
}

static int noted(const nlogd_live_client *c, int64_t id)
{
    size_t lo = 0, hi = c->n_noted;
    if (!hi || id > c->noted[hi - 1])
        return 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->noted[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->n_noted && c->noted[lo] == id;
}

size_t nlogd_hub_take(nlogd_live_client *c, nlogd_live_item *items, size_t max, int timeout_ms)
{
    return nlogd_hub_take_acks(c, items, max, timeout_ms, NULL, NULL, NULL);
}

size_t nlogd_hub_take_acks(nlogd_live_client *c, nlogd_live_item *items, size_t max,
                           int timeout_ms, unsigned char *acks, size_t *ret_n_acks,
                           nlogd_live_filter *ack_filter)
{
    size_t n = 0;
    pthread_mutex_lock(&c->lock);
    if (!c->kicked && (c->paused || (c->qlen == 0 && c->pending_drop == 0)) && timeout_ms > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t t = ts.tv_nsec + (int64_t) timeout_ms * 1000000LL;
        ts.tv_sec += (time_t) (t / 1000000000LL);
        ts.tv_nsec = (long) (t % 1000000000LL);
        while (!c->kicked && (c->paused || (c->qlen == 0 && c->pending_drop == 0)))
            if (pthread_cond_timedwait(&c->wake, &c->lock, &ts) != 0)
                break;
    }
    c->kicked = 0;
    if (acks) {
        /* the answers and the entries are taken under one lock: the answers
         * are written first, and every entry after them passed the filter
         * (or pause) they answer */
        memcpy(acks, c->acks, c->n_acks);
        *ret_n_acks = c->n_acks;
        c->n_acks = 0;
        *ack_filter = c->filter;
        ack_filter->search = NULL;
    }
    if (c->paused) {
        pthread_mutex_unlock(&c->lock);
        return 0;
    }
    uint64_t carry = 0; /* drops in front of an entry this filter now skips */
    while (n < max && c->qlen) {
        nlogd_live_item it = c->q[c->qhead];
        c->qhead = (c->qhead + 1) % c->qcap;
        c->qlen--;
        it.dropped_before += carry;
        carry = 0;
        if (noted(c, it.entry->id) || !nlogd_live_match(&c->filter, c->max_level, it.entry)) {
            carry = it.dropped_before;
            nlogd_live_entry_unref(it.entry);
            continue;
        }
        items[n++] = it;
    }
    if (carry) {
        if (c->qlen)
            c->q[c->qhead].dropped_before += carry;
        else
            c->pending_drop += carry;
    }
    if (n < max && c->qlen == 0 && c->pending_drop) {
        items[n].entry = NULL;
        items[n].dropped_before = c->pending_drop;
        c->pending_drop = 0;
        n++;
    }
    pthread_mutex_unlock(&c->lock);
    return n;
}

nlogd_live_entry **nlogd_hub_replay_ring(nlogd_live_client *c, size_t *ret_n)
{
    pthread_mutex_lock(&c->lock);
    nlogd_live_entry **r = c->replay;
    *ret_n = c->n_replay;
    c->replay = NULL;
    c->n_replay = 0;
    pthread_mutex_unlock(&c->lock);
    return r;
}

void nlogd_hub_replay_note(nlogd_live_client *c, int64_t id)
{
    pthread_mutex_lock(&c->lock);
    if (c->n_noted == c->cap_noted) {
        size_t nc = c->cap_noted ? c->cap_noted * 2 : 256;
        int64_t *p = realloc(c->noted, nc * sizeof *p);
        if (p) {
            c->noted = p;
            c->cap_noted = nc;
        }
    }
    if (c->n_noted < c->cap_noted)
        c->noted[c->n_noted++] = id;
    pthread_mutex_unlock(&c->lock);
}

void nlogd_hub_replay_done(nlogd_live_client *c)
{
    nlogd_hub_kick(c);
}

int nlogd_hub_match_stored(nlogd_live_client *c, const nlogd_entry *se)
{
    nlogd_live_entry e;
    memset(&e, 0, sizeof e);
    e.id = se->id;
    e.level = se->level;
    e.category = se->category;
    e.logger = se->logger;
    e.message = se->message;
    e.message_len = se->message_len;
    pthread_mutex_lock(&c->lock);
    int ok = nlogd_live_match(&c->filter, c->max_level, &e);
    pthread_mutex_unlock(&c->lock);
    return ok;
}

void nlogd_hub_set_idle(nlogd_hub *h, int64_t idle_ns, int64_t (*now)(void))
{
    h->idle_ns = idle_ns;
    h->now = now ? now : mono;
    __atomic_store_n(&h->last_seen_ns, h->now(), __ATOMIC_RELAXED);
}

void nlogd_hub_stats_get(nlogd_hub *h, nlogd_hub_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!h)
        return;
    pthread_mutex_lock(&h->clients_lock);
    out->clients = h->n_clients;
    pthread_mutex_unlock(&h->clients_lock);
    pthread_mutex_lock(&h->lock);
    out->ring_entries = h->head - h->tail;
    out->ring_bytes = h->bytes;
    pthread_mutex_unlock(&h->lock);
    out->published = __atomic_load_n(&h->published, __ATOMIC_RELAXED);
    out->delivered = __atomic_load_n(&h->sent, __ATOMIC_RELAXED);
    out->dropped = __atomic_load_n(&h->dropped, __ATOMIC_RELAXED);
    out->connections = __atomic_load_n(&h->connections, __ATOMIC_RELAXED);
    out->refused = __atomic_load_n(&h->refused, __ATOMIC_RELAXED);
}

void nlogd_hub_count_connection(nlogd_hub *h, int refused)
{
    count(refused ? &h->refused : &h->connections, 1);
}

void nlogd_hub_count_sent(nlogd_hub *h, uint64_t n)
{
    count(&h->sent, n);
}
