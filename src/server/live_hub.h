/* live_hub.h: the fan-out behind the live stream (GET /api/v2/logs/stream).
 *
 *   writer thread ──hook──▶ ring of recent entries ──dispatcher thread──▶ one bounded
 *   (after each commit)     (encoded once, shared,     (filters per client)  queue per client
 *                            refcounted)                                      └──▶ its sender
 *
 * - The queue hook (queue.h) runs on the store's writer after each commit:
 *   it encodes every stored record once as the stream message (the record
 *   format plus "seq") and appends it to the ring. It never blocks on a
 *   client: the ring drops its oldest entries when it is full. When no
 *   client has been attached for 10 minutes it does nothing at all, so
 *   ingest pays for the stream only while someone watches; the first batch
 *   it skips empties the ring, so a later resume_from from before that
 *   hole is replayed from the store, never from a stale ring.
 * - The dispatcher thread matches each new entry against every client's
 *   filter (and role: a viewer never gets SECURITY or AUDIT records) and
 *   appends a reference to the client's queue. A full queue does not wait:
 *   the entry is counted, and the client gets {"type":"dropped","count":N}
 *   at the place of the gap, before the next entry it does get.
 * - seq is the record's store id (time-ordered, see store.h), sent as a
 *   decimal string (it exceeds JavaScript's exact integers).
 * - Resume (resume_from=SEQ): when the entry SEQ is still in the ring's last
 *   server.stream_replay_records entries, the entries stored after it, in
 *   commit order, are replayed from memory: exact. Otherwise the entries
 *   with an id above SEQ are replayed from the store, oldest first, at most
 *   server.stream_resume_max of them; entries that were stored late with an
 *   older timestamp than SEQ are then not replayed (they are in the store).
 * Thread-safety: every function may be called from any thread; a client is
 * used by its connection's threads only. Lock order: clients, then ring,
 * then one client. */
#ifndef NLOGD_LIVE_HUB_H
#define NLOGD_LIVE_HUB_H

#include <stddef.h>
#include <stdint.h>

#include "server/buf.h"
#include "server/search.h"
#include "server/store.h"

struct nlogd_server;
typedef struct nlogd_hub nlogd_hub;
typedef struct nlogd_live_client nlogd_live_client;

/* One stored record as the stream sends it; shared by every client. */
typedef struct nlogd_live_entry {
    int refs;                  /* atomic */
    int64_t id;                /* the store id = seq */
    int level;
    const char *category, *logger;
    const char *message;
    size_t message_len;
    const char *json;          /* the whole message: {"seq":"...","timestamp":...} */
    size_t json_len;
    size_t bytes;              /* of the allocation */
} nlogd_live_entry;

/* A client's filter. min_level 0 = any; "" = any category / logger. */
typedef struct nlogd_live_filter {
    int min_level;
    char category[72];
    char logger[260];
    char search_text[NLOGD_SEARCH_MAX + 8]; /* "" = none */
    nlogd_search *search;      /* compiled search_text (owned), NULL = none */
} nlogd_live_filter;

/* What a sender takes from its client's queue: an entry, preceded by the
 * number of matching entries dropped just before it (0 mostly); or, with
 * entry NULL, only a drop count. */
typedef struct nlogd_live_item {
    nlogd_live_entry *entry;   /* a reference: release with nlogd_live_entry_unref() */
    uint64_t dropped_before;
} nlogd_live_item;

typedef struct nlogd_hub_stats {
    size_t clients;
    uint64_t published, delivered, dropped, ring_entries, ring_bytes;
    uint64_t connections, refused;
} nlogd_hub_stats;

/* Starts the hub and its dispatcher, and sets the queue hook. */
int nlogd_hub_start(struct nlogd_server *srv, nlogd_hub **ret);
/* Unsets the hook, stops the dispatcher, frees the ring. Every client must
 * have been detached. NULL ok. */
void nlogd_hub_stop(nlogd_hub *h);

/* The queue hook (nlogd_stored_fn). */
void nlogd_hub_publish(void *hub, nlogd_batch *const *batches, size_t n);

void nlogd_live_entry_unref(nlogd_live_entry *e);
/* Whether e passes f and a role's level bound (0 = none). */
int nlogd_live_match(const nlogd_live_filter *f, int max_level, const nlogd_live_entry *e);
/* Frees what f owns (the compiled search). */
void nlogd_live_filter_clear(nlogd_live_filter *f);
/* Sets f from a store filter (level, category, logger, search_query). */
int nlogd_live_filter_from(nlogd_live_filter *f, const nlogd_filter *sf);

/* Registers a client (its filter is moved in: *f is left empty). With
 * has_resume, the replay is prepared: *ret_ring_hit says whether it comes
 * from memory (nlogd_hub_replay_ring) or must be read from the store
 * (nlogd_hub_replay_store). Returns NULL when the client limit is reached. */
nlogd_live_client *nlogd_hub_attach(nlogd_hub *h, nlogd_live_filter *f, int max_level,
                                    int has_resume, int64_t resume_from, int *ret_ring_hit);
/* Unregisters and frees the client, releasing whatever it still holds. */
void nlogd_hub_detach(nlogd_hub *h, nlogd_live_client *c);
/* Replaces the filter (taking effect on the next entry sent). */
void nlogd_hub_set_filter(nlogd_live_client *c, nlogd_live_filter *f);
/* Copies the filter's texts for an answer (level, category, logger, search). */
void nlogd_hub_get_filter(nlogd_live_client *c, nlogd_live_filter *out_texts);
void nlogd_hub_set_paused(nlogd_live_client *c, int paused);

/* Answers to client messages that must not overtake entries: queued here,
 * written by the sender in order with the entries (nlogd_hub_take_acks). */
enum { NLOGD_ACK_FILTER = 1, NLOGD_ACK_PAUSED, NLOGD_ACK_RESUMED };
#define NLOGD_ACKS_MAX 32
/* nlogd_hub_set_filter / nlogd_hub_set_paused, queueing the answer for the
 * sender. -1 (nothing changed) when NLOGD_ACKS_MAX answers are waiting. */
int nlogd_hub_set_filter_ack(nlogd_live_client *c, nlogd_live_filter *f);
int nlogd_hub_set_paused_ack(nlogd_live_client *c, int paused);
/* Wakes the client's sender (something to send besides entries). */
void nlogd_hub_kick(nlogd_live_client *c);

/* Sender side. Takes up to max items, waiting at most timeout_ms when
 * there is none (0 when paused or nothing came). Entries failing the
 * current filter are skipped here (released and not returned), so a new
 * filter holds from the next entry on. Returns the count. */
size_t nlogd_hub_take(nlogd_live_client *c, nlogd_live_item *items, size_t max, int timeout_ms);
/* The same, also taking the queued answers (*ret_n_acks of them, into acks
 * of NLOGD_ACKS_MAX) and the filter in force (texts only, search NULL) for a
 * filter answer. The caller writes the answers before the items. */
size_t nlogd_hub_take_acks(nlogd_live_client *c, nlogd_live_item *items, size_t max,
                           int timeout_ms, unsigned char *acks, size_t *ret_n_acks,
                           nlogd_live_filter *ack_filter);
/* The memory replay prepared by attach, in order; *ret_n entries, each a
 * reference the caller releases. The array is the caller's to free(). */
nlogd_live_entry **nlogd_hub_replay_ring(nlogd_live_client *c, size_t *ret_n);
/* Notes an id sent during a store replay: live entries with it are not
 * sent again. Ids must come in ascending order. */
void nlogd_hub_replay_note(nlogd_live_client *c, int64_t id);
/* Ends the replay: from now on queued live entries are sent (those noted
 * by nlogd_hub_replay_note are skipped). */
void nlogd_hub_replay_done(nlogd_live_client *c);
/* The client's current filter applied to a store entry (store replay). */
int nlogd_hub_match_stored(nlogd_live_client *c, const nlogd_entry *e);
/* Encodes a stored entry as a stream message into b (for the store replay). */
int nlogd_live_encode(nlogd_buf *b, const nlogd_entry *e);

/* Replaces the idle time after which the hook stops filling the ring
 * (default 10 minutes) and the monotonic clock (ns) it is measured with
 * (NULL = CLOCK_MONOTONIC), and restarts the idle time from now. For tests;
 * call before anything is published. */
void nlogd_hub_set_idle(nlogd_hub *h, int64_t idle_ns, int64_t (*now)(void));
void nlogd_hub_stats_get(nlogd_hub *h, nlogd_hub_stats *out);
void nlogd_hub_count_connection(nlogd_hub *h, int refused);
/* Adds the stream's and access control's lines to /metrics (metrics_live.c). */
void nlogd_live_metrics_register(struct nlogd_server *srv);
/* Entries a sender wrote to its client. */
void nlogd_hub_count_sent(nlogd_hub *h, uint64_t n);

#endif
