/* ws_stream.c: the live stream's connections (see ws_stream.h).
 *
 * A connection's life: connect handler (worker thread: parameters,
 * credentials, HTTP refusals) -> ready handler (starts the sender) -> data
 * handler per client frame -> close handler (stops the sender, detaches
 * from the hub, frees). The sender is the only thread that sends entries;
 * it starts sending only after the ready handler ran (CivetWeb's rule).
 * State shared by the two threads of a connection is under w->lock, except
 * last_rx_ns and closing, which are atomics.
 * Tested by: tests/integration/server/test_live.py */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <civetweb.h>
#include <nlog/level.h>

#include "server/buf.h"
#include "server/http/origin.h"
#include "server/http/router.h"
#include "server/live_hub.h"
#include "server/qparams.h"
#include "server/selflog.h"
#include "server/ws_client_msg.h"
#include "server/ws_stream.h"

#define AUTH_WAIT_MS 3000    /* a first-message auth must come within this */
/* Connections waiting for a first-message auth, at most: each holds a
 * CivetWeb worker and a sender thread until the auth message or the
 * timeout, so unauthenticated peers may not hold many. */
#define PREAUTH_MAX 4
#define TAKE_MAX 256         /* items per take */
#define FLUSH_BYTES 65536    /* write when this much is buffered */
#define SENDER_STACK (256u << 10)

typedef struct wsconn {
    struct mg_connection *conn;
    nlogd_server *srv;
    pthread_mutex_t lock;
    pthread_cond_t cond;         /* auth arrived, or closing */
    int need_auth, authed;
    nlogd_role role;
    char caller[NLOGD_KEY_NAME_MAX + 1];
    char ip[48];
    nlogd_live_filter filter;    /* until attached; then the hub's */
    int paused;                  /* until attached */
    int has_resume;
    int64_t resume_from;
    nlogd_live_client *client;
    int sender_started;
    pthread_t sender;
    int closing;                 /* atomic: a close was sent or the peer left */
    int preauth;                 /* atomic: counted in nlogd_ws.preauth */
    int64_t last_rx_ns;          /* atomic, CLOCK_MONOTONIC */
    struct wsconn *next;
} wsconn;

typedef struct nlogd_ws {
    pthread_mutex_t lock;        /* the list of connections */
    wsconn *conns;
    int stopping;                /* atomic */
    int preauth;                 /* atomic: connections waiting for an auth message */
} nlogd_ws;

static nlogd_ws *ws_of(nlogd_server *srv)
{
    return (nlogd_ws *) srv->ws;
}

/* Ends a connection's wait for its auth message (once). */
static void preauth_done(wsconn *w)
{
    if (__atomic_exchange_n(&w->preauth, 0, __ATOMIC_ACQ_REL))
        __atomic_sub_fetch(&ws_of(w->srv)->preauth, 1, __ATOMIC_ACQ_REL);
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Appends one unmasked frame (RFC 6455 5.2) to b. */
static void frame(nlogd_buf *b, int opcode, const char *data, size_t len)
{
    unsigned char h[10];
    size_t hl = 2;
    h[0] = (unsigned char) (0x80 | opcode);
    if (len < 126) {
        h[1] = (unsigned char) len;
    } else if (len <= 0xffff) {
        h[1] = 126;
        h[2] = (unsigned char) (len >> 8);
        h[3] = (unsigned char) len;
        hl = 4;
    } else {
        h[1] = 127;
        for (int i = 0; i < 8; i++)
            h[2 + i] = (unsigned char) ((uint64_t) len >> (56 - 8 * i));
        hl = 10;
    }
    nlogd_buf_add(b, h, hl);
    if (len)
        nlogd_buf_add(b, data, len);
}

static int put(wsconn *w, const nlogd_buf *b)
{
    if (!b->len)
        return 0;
    if (b->failed)
        return -1;
    mg_lock_connection(w->conn);
    int rc = mg_write(w->conn, b->data, b->len);
    mg_unlock_connection(w->conn);
    if (rc <= 0) {
        __atomic_store_n(&w->closing, 1, __ATOMIC_RELAXED);
        return -1;
    }
    return 0;
}

static void send_text(wsconn *w, const char *text, size_t len)
{
    nlogd_buf b;
    nlogd_buf_init(&b, len + 64);
    frame(&b, 1, text, len);
    (void) put(w, &b);
    nlogd_buf_free(&b);
}

static void error_json(nlogd_buf *b, const char *code, const char *message)
{
    nlogd_buf_adds(b, "{\"type\":\"error\",\"code\":");
    nlogd_buf_json_str(b, code, strlen(code));
    nlogd_buf_adds(b, ",\"message\":");
    nlogd_buf_json_str(b, message, strlen(message));
    nlogd_buf_addc(b, '}');
}

/* An error message that keeps the stream open (a bad client message). */
static void send_error(wsconn *w, const char *code, const char *message)
{
    nlogd_buf b;
    nlogd_buf_init(&b, 4096);
    error_json(&b, code, message);
    send_text(w, b.data, b.len);
    nlogd_buf_free(&b);
}

/* The explanatory message, then a close frame with `code` and a short
 * reason. The connection ends when the peer answers the close (or when
 * CivetWeb's read times out, for a peer that is gone). */
static void close_with(wsconn *w, int code, const char *ecode, const char *message)
{
    if (__atomic_exchange_n(&w->closing, 1, __ATOMIC_ACQ_REL))
        return;
    nlogd_buf b, m;
    nlogd_buf_init(&b, 8192);
    nlogd_buf_init(&m, 4096);
    error_json(&m, ecode, message);
    frame(&b, 1, m.data, m.len);
    char reason[125];
    reason[0] = (char) (code >> 8);
    reason[1] = (char) (code & 0xff);
    size_t rl = strlen(ecode);
    if (rl > sizeof reason - 2)
        rl = sizeof reason - 2;
    memcpy(reason + 2, ecode, rl);
    frame(&b, 8, reason, rl + 2);
    mg_lock_connection(w->conn);
    (void) mg_write(w->conn, b.data, b.len);
    mg_unlock_connection(w->conn);
    nlogd_buf_free(&b);
    nlogd_buf_free(&m);
    pthread_mutex_lock(&w->lock); /* callers never hold it */
    pthread_cond_broadcast(&w->cond);
    if (w->client)
        nlogd_hub_kick(w->client);
    pthread_mutex_unlock(&w->lock);
}

static int is_closing(wsconn *w)
{
    return __atomic_load_n(&w->closing, __ATOMIC_ACQUIRE);
}

static void filter_json(nlogd_buf *b, const nlogd_live_filter *f)
{
    const char *lv = f->min_level ? nlog_level_name((nlog_level) f->min_level) : NULL;
    nlogd_buf_adds(b, "{\"level\":");
    if (lv)
        nlogd_buf_printf(b, "\"%s\"", lv);
    else
        nlogd_buf_adds(b, "null");
    nlogd_buf_adds(b, ",\"category\":");
    if (f->category[0])
        nlogd_buf_json_str(b, f->category, strlen(f->category));
    else
        nlogd_buf_adds(b, "null");
    nlogd_buf_adds(b, ",\"logger\":");
    if (f->logger[0])
        nlogd_buf_json_str(b, f->logger, strlen(f->logger));
    else
        nlogd_buf_adds(b, "null");
    nlogd_buf_adds(b, ",\"search_query\":");
    if (f->search_text[0])
        nlogd_buf_json_str(b, f->search_text, strlen(f->search_text));
    else
        nlogd_buf_adds(b, "null");
    nlogd_buf_addc(b, '}');
}

/* {"type":"filter","filter":{...}}: the filter in force now. */
static void send_filter(wsconn *w, const char *type)
{
    nlogd_live_filter f;
    pthread_mutex_lock(&w->lock);
    if (w->client) {
        nlogd_hub_get_filter(w->client, &f);
    } else {
        f = w->filter;
        f.search = NULL;
    }
    pthread_mutex_unlock(&w->lock);
    nlogd_buf b;
    nlogd_buf_init(&b, 8192);
    nlogd_buf_printf(&b, "{\"type\":\"%s\",\"filter\":", type);
    filter_json(&b, &f);
    nlogd_buf_addc(&b, '}');
    send_text(w, b.data, b.len);
    nlogd_buf_free(&b);
}

static void send_hello(wsconn *w)
{
    const nlog_config *c = &w->srv->cfg;
    nlogd_live_filter f;
    nlogd_hub_get_filter(w->client, &f);
    nlogd_buf b;
    nlogd_buf_init(&b, 8192);
    nlogd_buf_adds(&b, "{\"type\":\"hello\",\"role\":");
    nlogd_buf_printf(&b, "\"%s\",\"caller\":", nlogd_role_name(w->role));
    nlogd_buf_json_str(&b, w->caller, strlen(w->caller));
    nlogd_buf_adds(&b, ",\"filter\":");
    filter_json(&b, &f);
    nlogd_buf_printf(&b, ",\"limits\":{\"queue_entries\":%d,\"max_message_size\":%d,"
                         "\"idle_timeout_ms\":%d,\"ping_interval_ms\":%d}%s}",
                     c->server_stream_queue_entries, c->server_stream_max_message_size,
                     c->server_stream_idle_timeout_ms, c->server_stream_idle_timeout_ms / 3,
                     w->role == NLOGD_ROLE_VIEWER
                         ? ",\"note\":\"the viewer role receives no SECURITY or AUDIT records\""
                         : "");
    send_text(w, b.data, b.len);
    nlogd_buf_free(&b);
}

/* Store replay ------------------------------------------------------------ */

typedef struct replay {
    wsconn *w;
    nlogd_buf out, tmp;
    size_t n, max;
    int64_t last_id;
    int failed;
} replay;

static int replay_entry(const nlogd_entry *e, void *user)
{
    replay *r = user;
    if (is_closing(r->w))
        return 1;
    r->last_id = e->id;
    nlogd_hub_replay_note(r->w->client, e->id);
    if (!nlogd_hub_match_stored(r->w->client, e))
        return 0;
    nlogd_buf_reset(&r->tmp);
    r->tmp.failed = 0;
    if (nlogd_live_encode(&r->tmp, e) != 0)
        return 0;
    frame(&r->out, 1, r->tmp.data, r->tmp.len);
    r->n++;
    if (r->out.len >= FLUSH_BYTES) {
        if (put(r->w, &r->out) != 0)
            return 1;
        nlogd_buf_reset(&r->out);
        r->out.failed = 0;
    }
    return 0;
}

static void replay_store(wsconn *w)
{
    nlogd_server *srv = w->srv;
    nlogd_live_filter lf;
    nlogd_hub_get_filter(w->client, &lf);
    nlogd_filter f;
    memset(&f, 0, sizeof f);
    f.min_level = lf.min_level;
    f.max_level = nlogd_role_max_level(w->role);
    snprintf(f.category, sizeof f.category, "%s", lf.category);
    snprintf(f.logger, sizeof f.logger, "%s", lf.logger);
    snprintf(f.search, sizeof f.search, "%s", lf.search_text);
    f.ascending = 1;
    f.has_cursor = 1;
    f.cursor_id = w->resume_from;
    replay r;
    memset(&r, 0, sizeof r);
    r.w = w;
    r.max = (size_t) srv->cfg.server_stream_resume_max;
    nlogd_buf_init(&r.out, 64u << 20);
    nlogd_buf_init(&r.tmp, 64u << 20);
    int more = 0;
    nlog_status st = NLOG_OK;
    if (r.max)
        st = nlogd_store_query(srv->store, &f, r.max, replay_entry, &r, &more);
    else
        more = 1;
    (void) put(w, &r.out);
    nlogd_buf_reset(&r.out);
    r.out.failed = 0;
    if (st != NLOG_OK)
        nlogd_buf_printf(&r.out, "{\"type\":\"replay\",\"source\":\"store\",\"count\":%zu,"
                                 "\"complete\":false,\"message\":\"the store could not be read; "
                                 "entries after seq %lld were not replayed\"}",
                         r.n, (long long) (r.last_id ? r.last_id : w->resume_from));
    else if (more)
        nlogd_buf_printf(&r.out, "{\"type\":\"replay\",\"source\":\"store\",\"count\":%zu,"
                                 "\"complete\":false,\"message\":\"more than %zu entries were "
                                 "missed (server.stream_resume_max); the stream continues live, "
                                 "the rest after seq %lld is in the store "
                                 "(GET /api/v2/logs/entries)\"}",
                         r.n, r.max, (long long) (r.last_id ? r.last_id : w->resume_from));
    else
        nlogd_buf_printf(&r.out, "{\"type\":\"replay\",\"source\":\"store\",\"count\":%zu,"
                                 "\"complete\":true}", r.n);
    send_text(w, r.out.data, r.out.len);
    nlogd_buf_free(&r.out);
    nlogd_buf_free(&r.tmp);
    nlogd_hub_count_sent(srv->hub, r.n);
}

static void replay_ring(wsconn *w)
{
    size_t n;
    nlogd_live_entry **es = nlogd_hub_replay_ring(w->client, &n);
    nlogd_buf b;
    nlogd_buf_init(&b, 64u << 20);
    size_t sent = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_closing(w) && !b.failed) {
            frame(&b, 1, es[i]->json, es[i]->json_len);
            sent++;
            if (b.len >= FLUSH_BYTES) {
                (void) put(w, &b);
                nlogd_buf_reset(&b);
            }
        }
        nlogd_live_entry_unref(es[i]);
    }
    free(es);
    (void) put(w, &b);
    nlogd_buf_reset(&b);
    b.failed = 0;
    nlogd_buf_printf(&b, "{\"type\":\"replay\",\"source\":\"memory\",\"count\":%zu,"
                         "\"complete\":true}", sent);
    send_text(w, b.data, b.len);
    nlogd_buf_free(&b);
    nlogd_hub_count_sent(w->srv->hub, sent);
}

/* The sender ---------------------------------------------------------------- */

static int wait_auth(wsconn *w)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += AUTH_WAIT_MS / 1000;
    pthread_mutex_lock(&w->lock);
    while (!w->authed && !is_closing(w))
        if (pthread_cond_timedwait(&w->cond, &w->lock, &ts) != 0)
            break;
    int ok = w->authed;
    pthread_mutex_unlock(&w->lock);
    if (!ok && !is_closing(w)) {
        nlogd_count(w->srv, auth_refused, 1);
        nlogd_security_event(w->srv->selflog, "AUTH_FAILURE", "MEDIUM", NULL, w->ip, "WS",
                             "/api/v2/logs/stream", 401, "no auth message in time");
        close_with(w, 4401, "unauthorized",
                   "no API key: send it as Authorization: Bearer KEY, as ?api_key=KEY, or as "
                   "the first message {\"type\":\"auth\",\"api_key\":\"KEY\"} within 3 s");
    }
    return ok;
}

static void *sender_main(void *arg)
{
    wsconn *w = arg;
    nlogd_server *srv = w->srv;
    if (w->need_auth && !wait_auth(w))
        return NULL;
    int hit = 0;
    pthread_mutex_lock(&w->lock);
    nlogd_live_client *c = nlogd_hub_attach(srv->hub, &w->filter, nlogd_role_max_level(w->role),
                                            w->has_resume, w->resume_from, &hit);
    w->client = c;
    /* a pause that came before the attach holds from the first entry; set
     * under w->lock, so a resume that follows is applied after it */
    if (c && w->paused)
        nlogd_hub_set_paused(c, 1);
    pthread_mutex_unlock(&w->lock);
    if (!c) {
        nlogd_live_filter_clear(&w->filter);
        nlogd_hub_count_connection(srv->hub, 1);
        char m[256];
        snprintf(m, sizeof m, "too many stream clients: %d are connected, the most "
                              "server.stream_max_clients allows; try again later",
                 srv->cfg.server_stream_max_clients);
        close_with(w, 1013, "too_many_clients", m);
        return NULL;
    }
    nlogd_hub_count_connection(srv->hub, 0);
    send_hello(w);
    if (w->has_resume) {
        if (hit)
            replay_ring(w);
        else
            replay_store(w);
        nlogd_hub_replay_done(c);
    }
    const int64_t idle_ns = (int64_t) srv->cfg.server_stream_idle_timeout_ms * 1000000LL;
    const int64_t ping_ns = idle_ns / 3;
    int64_t last_ping = mono_ns();
    nlogd_live_item *items = malloc(TAKE_MAX * sizeof *items);
    nlogd_live_filter *af = malloc(sizeof *af);
    unsigned char acks[NLOGD_ACKS_MAX];
    nlogd_buf out;
    nlogd_buf_init(&out, 64u << 20);
    while (items && af && !is_closing(w)) {
        size_t n_acks = 0;
        size_t n = nlogd_hub_take_acks(c, items, TAKE_MAX, 250, acks, &n_acks, af);
        size_t sent = 0;
        /* answers first: the entries below were taken after them */
        for (size_t i = 0; i < n_acks; i++) {
            if (acks[i] == NLOGD_ACK_FILTER) {
                nlogd_buf m;
                nlogd_buf_init(&m, 8192);
                nlogd_buf_adds(&m, "{\"type\":\"filter\",\"filter\":");
                filter_json(&m, af);
                nlogd_buf_addc(&m, '}');
                frame(&out, 1, m.data, m.len);
                nlogd_buf_free(&m);
            } else if (acks[i] == NLOGD_ACK_PAUSED) {
                frame(&out, 1, "{\"type\":\"paused\"}", 17);
            } else {
                frame(&out, 1, "{\"type\":\"resumed\"}", 18);
            }
        }
        for (size_t i = 0; i < n; i++) {
            if (items[i].dropped_before) {
                char d[64];
                int l = snprintf(d, sizeof d, "{\"type\":\"dropped\",\"count\":%llu}",
                                 (unsigned long long) items[i].dropped_before);
                frame(&out, 1, d, (size_t) l);
            }
            if (items[i].entry) {
                frame(&out, 1, items[i].entry->json, items[i].entry->json_len);
                nlogd_live_entry_unref(items[i].entry);
                sent++;
            }
            if (out.len >= FLUSH_BYTES) {
                (void) put(w, &out);
                nlogd_buf_reset(&out);
            }
        }
        if (put(w, &out) == 0)
            nlogd_hub_count_sent(srv->hub, sent);
        nlogd_buf_reset(&out);
        out.failed = 0;
        int64_t now = mono_ns();
        if (now - __atomic_load_n(&w->last_rx_ns, __ATOMIC_RELAXED) > idle_ns) {
            char m[200];
            snprintf(m, sizeof m, "idle: nothing received (no message, no pong) for %d ms "
                                  "(server.stream_idle_timeout_ms)",
                     srv->cfg.server_stream_idle_timeout_ms);
            close_with(w, 4408, "idle_timeout", m);
        } else if (now - last_ping >= ping_ns) {
            nlogd_buf p;
            nlogd_buf_init(&p, 64);
            frame(&p, 9, "nlogd", 5);
            (void) put(w, &p);
            nlogd_buf_free(&p);
            last_ping = now;
        }
    }
    nlogd_buf_free(&out);
    free(items);
    free(af);
    return NULL;
}

/* CivetWeb handlers -------------------------------------------------------- */

static void http_refuse(struct mg_connection *conn, int status, const char *code,
                        const char *param, const char *message, const char *extra_header)
{
    nlogd_buf b;
    nlogd_buf_init(&b, 4096);
    nlogd_buf_adds(&b, "{\"error\":{\"code\":");
    nlogd_buf_json_str(&b, code, strlen(code));
    nlogd_buf_adds(&b, ",\"message\":");
    nlogd_buf_json_str(&b, message, strlen(message));
    if (param && param[0]) {
        nlogd_buf_adds(&b, ",\"parameter\":");
        nlogd_buf_json_str(&b, param, strlen(param));
    }
    nlogd_buf_adds(&b, "}}\n");
    const char *reason = status == 400   ? "Bad Request"
                         : status == 401 ? "Unauthorized"
                         : status == 403 ? "Forbidden"
                         : status == 429 ? "Too Many Requests"
                                         : "Service Unavailable";
    mg_printf(conn,
              "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
              "Content-Length: %zu\r\nConnection: close\r\n%s\r\n",
              status, reason, b.len, extra_header ? extra_header : "");
    mg_write(conn, b.data, b.len);
    nlogd_buf_free(&b);
}

static void free_conn(wsconn *w)
{
    nlogd_live_filter_clear(&w->filter);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    explicit_bzero(w, sizeof *w);
    free(w);
}

/* resume_from: 1 to 19 decimal digits, at most INT64_MAX. */
static int parse_seq(const char *v, size_t len, int64_t *ret, nlogd_err *e)
{
    uint64_t x = 0;
    int ok = len >= 1 && len <= 19;
    for (size_t i = 0; ok && i < len; i++) {
        ok = v[i] >= '0' && v[i] <= '9';
        x = x * 10 + (uint64_t) (v[i] - '0');
    }
    if (!ok || x > (uint64_t) INT64_MAX)
        return nlogd_fail(e, 400, "invalid_parameter", "resume_from",
                          "resume_from: not a sequence number; accepted: the seq of the last "
                          "entry received, 1 to 19 decimal digits");
    *ret = (int64_t) x;
    return 0;
}

/* Whether a role's level bound refuses a filter's level (a viewer asking
 * for SECURITY or AUDIT), recording the refusal as every 403 is. */
static int level_refused(nlogd_server *srv, nlogd_role r, const char *caller, const char *ip,
                         int min_level)
{
    int max = nlogd_role_max_level(r);
    if (!max || min_level <= max)
        return 0;
    nlogd_count(srv, auth_forbidden, 1);
    nlogd_security_event(srv->selflog, "ACCESS_DENIED", "MEDIUM", caller, ip, "WS",
                         "/api/v2/logs/stream", 403,
                         "role may not read SECURITY or AUDIT records");
    return 1;
}

static int on_connect(const struct mg_connection *cconn, void *cbdata)
{
    nlogd_server *srv = cbdata;
    struct mg_connection *conn = (struct mg_connection *) cconn; /* to answer a refusal */
    const struct mg_request_info *ri = mg_get_request_info(cconn);
    static const char *const accepted[] = {"level", "category", "logger", "search_query",
                                           "resume_from", "api_key", NULL};
    nlogd_count(srv, http_requests, 1);
    if (srv->cfg.server_stream_max_clients == 0 ||
        __atomic_load_n(&ws_of(srv)->stopping, __ATOMIC_ACQUIRE)) {
        nlogd_count(srv, http_5xx, 1);
        http_refuse(conn, 503, "stream_unavailable", "",
                    srv->cfg.server_stream_max_clients == 0
                        ? "the live stream is disabled (server.stream_max_clients is 0)"
                        : "nlogd is stopping",
                    NULL);
        return 1;
    }
    {
        char why[512];
        const char *reason = "";
        if (nlogd_origin_check(mg_get_header(cconn, "Host"), mg_get_header(cconn, "Origin"),
                               ri->is_ssl, nlogd_keys_enabled(&srv->keys),
                               srv->cfg.server_allowed_origins, why, sizeof why, &reason) != 0) {
            nlogd_count(srv, auth_forbidden, 1);
            nlogd_count(srv, http_4xx, 1);
            nlogd_security_event(srv->selflog, "ACCESS_DENIED", "HIGH", NULL, ri->remote_addr,
                                 "GET", ri->local_uri ? ri->local_uri : "", 403, reason);
            http_refuse(conn, 403, "forbidden_origin", "", why, NULL);
            return 1;
        }
    }
    nlogd_qparams *q = malloc(sizeof *q);
    nlogd_err e;
    nlogd_filter f;
    memset(&f, 0, sizeof f);
    int64_t resume = 0;
    int has_resume = 0;
    const char *v;
    size_t len;
    if (!q) {
        http_refuse(conn, 503, "internal", "", "out of memory", NULL);
        return 1;
    }
    int bad = nlogd_qp_parse(ri->query_string, accepted, q, &e) != 0 ||
              nlogd_qp_filter(q, &f, &e) != 0;
    if (!bad && (v = nlogd_qp_get(q, "resume_from", &len))) {
        bad = parse_seq(v, len, &resume, &e) != 0;
        has_resume = !bad;
    }
    /* credentials: header, else ?api_key, else the first message */
    char key[NLOGD_KEY_MAX + 1];
    size_t klen = 0;
    int have_key = 0;
    char why[256] = "";
    if (!bad) {
        have_key = nlogd_auth_parse_bearer(mg_get_header(cconn, "Authorization"), key,
                                           sizeof key, &klen, why, sizeof why);
        if (have_key == 0 && (v = nlogd_qp_get(q, "api_key", &len))) {
            if (nlogd_auth_key_syntax_ok(v, len)) {
                memcpy(key, v, len);
                key[len] = '\0';
                klen = len;
                have_key = 1;
            } else {
                have_key = -1;
                snprintf(why, sizeof why, "api_key: the key is not well-formed; accepted: %d to "
                                          "%d of A-Z a-z 0-9 - . _ ~ + / =",
                         NLOGD_KEY_MIN, NLOGD_KEY_MAX);
            }
        }
    }
    if (q)
        explicit_bzero(q, sizeof *q);
    free(q);
    if (bad) {
        nlogd_count(srv, http_4xx, 1);
        http_refuse(conn, e.status, e.code, e.param, e.message, NULL);
        return 1;
    }
    wsconn *w = calloc(1, sizeof *w);
    if (!w) {
        http_refuse(conn, 503, "internal", "", "out of memory", NULL);
        return 1;
    }
    w->srv = srv;
    w->conn = conn;
    snprintf(w->ip, sizeof w->ip, "%s", ri->remote_addr);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->has_resume = has_resume;
    w->resume_from = resume;
    __atomic_store_n(&w->last_rx_ns, mono_ns(), __ATOMIC_RELAXED);
    if (nlogd_live_filter_from(&w->filter, &f) != 0) {
        free_conn(w);
        http_refuse(conn, 503, "internal", "", "out of memory", NULL);
        return 1;
    }
    if (!nlogd_keys_enabled(&srv->keys)) {
        w->role = NLOGD_ROLE_ADMIN;
        snprintf(w->caller, sizeof w->caller, "anonymous");
        w->authed = 1;
    } else if (have_key == 0) {
        /* the first message must be {"type":"auth"}: until it comes, the
         * connection counts against PREAUTH_MAX and, with the attached
         * clients, against server.stream_max_clients */
        nlogd_ws *ws = ws_of(srv);
        nlogd_hub_stats hs;
        nlogd_hub_stats_get(srv->hub, &hs);
        int n = __atomic_add_fetch(&ws->preauth, 1, __ATOMIC_ACQ_REL);
        if (n > PREAUTH_MAX ||
            hs.clients + (size_t) n > (size_t) srv->cfg.server_stream_max_clients) {
            __atomic_sub_fetch(&ws->preauth, 1, __ATOMIC_ACQ_REL);
            char m[300];
            snprintf(m, sizeof m, "too many stream connections waiting for their auth message "
                                  "(%d at most, and with the %zu connected clients at most "
                                  "server.stream_max_clients = %d); send the key as "
                                  "Authorization: Bearer KEY or ?api_key=KEY, or retry later",
                     PREAUTH_MAX, hs.clients, srv->cfg.server_stream_max_clients);
            nlogd_hub_count_connection(srv->hub, 1);
            nlogd_count(srv, http_5xx, 1);
            http_refuse(conn, 503, "too_many_clients", "", m, "Retry-After: 3\r\n");
            free_conn(w);
            return 1;
        }
        w->preauth = 1;
        w->need_auth = 1;
    } else {
        nlogd_role r = have_key > 0 ? nlogd_keys_check(&srv->keys, key, klen, w->caller,
                                                       sizeof w->caller)
                                    : NLOGD_ROLE_NONE;
        explicit_bzero(key, sizeof key);
        const char *path = ri->local_uri ? ri->local_uri : "";
        if (r == NLOGD_ROLE_NONE) {
            nlogd_count(srv, auth_refused, 1);
            nlogd_count(srv, http_4xx, 1);
            nlogd_security_event(srv->selflog, "AUTH_FAILURE", "MEDIUM", NULL, w->ip, "GET", path,
                                 401, have_key < 0 ? "malformed credentials" : "unknown API key");
            http_refuse(conn, 401, "unauthorized", "Authorization",
                        have_key < 0 ? why : "the API key is not valid",
                        "WWW-Authenticate: Bearer realm=\"nlogd\"\r\n");
            free_conn(w);
            return 1;
        }
        if (!nlogd_role_allows(r, NLOGD_PERM_READ)) {
            char m[256];
            snprintf(m, sizeof m, "the key '%s' has the role %s; the stream needs %s", w->caller,
                     nlogd_role_name(r), nlogd_perm_roles(NLOGD_PERM_READ));
            nlogd_count(srv, auth_forbidden, 1);
            nlogd_count(srv, http_4xx, 1);
            nlogd_security_event(srv->selflog, "ACCESS_DENIED", "MEDIUM", w->caller, w->ip, "GET",
                                 path, 403, "role may not read the stream");
            http_refuse(conn, 403, "forbidden", "", m, NULL);
            free_conn(w);
            return 1;
        }
        if (level_refused(srv, r, w->caller, w->ip, w->filter.min_level)) {
            char m[256];
            snprintf(m, sizeof m, "level: the key '%s' has the role %s, which never reads "
                                  "SECURITY or AUDIT records; accepted: TRACE to CRITICAL",
                     w->caller, nlogd_role_name(r));
            nlogd_count(srv, http_4xx, 1);
            http_refuse(conn, 403, "forbidden", "level", m, NULL);
            free_conn(w);
            return 1;
        }
        int wait = nlogd_rate_take(srv->rate, w->caller, mono_ns());
        if (wait) {
            char h[64], m[200];
            snprintf(h, sizeof h, "Retry-After: %d\r\n", wait);
            snprintf(m, sizeof m, "the key '%s' made more than %d requests in a second "
                                  "(server.rate_limit); retry after %d s",
                     w->caller, srv->cfg.server_rate_limit, wait);
            nlogd_count(srv, rate_limited, 1);
            nlogd_count(srv, http_4xx, 1);
            nlogd_security_event(srv->selflog, "RATE_LIMITED", "LOW", w->caller, w->ip, "GET",
                                 path, 429, "rate limit");
            http_refuse(conn, 429, "rate_limited", "", m, h);
            free_conn(w);
            return 1;
        }
        w->role = r;
        w->authed = 1;
    }
    mg_set_user_connection_data(cconn, w);
    return 0;
}

static void on_ready(struct mg_connection *conn, void *cbdata)
{
    nlogd_server *srv = cbdata;
    wsconn *w = mg_get_user_connection_data(conn);
    if (!w)
        return;
    nlogd_ws *ws = ws_of(srv);
    pthread_mutex_lock(&ws->lock);
    w->next = ws->conns;
    ws->conns = w;
    pthread_mutex_unlock(&ws->lock);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, SENDER_STACK);
    if (pthread_create(&w->sender, &a, sender_main, w) == 0)
        w->sender_started = 1;
    else
        close_with(w, 1011, "internal", "cannot start the stream's sender thread");
    pthread_attr_destroy(&a);
}

/* 0 when set (the caller answers), 1 when set and the sender answers, <0
 * when refused (the error was sent, nothing changed). */
static int apply_filter(wsconn *w, const nlogd_ws_msg *m)
{
    nlogd_live_filter cur, nf;
    pthread_mutex_lock(&w->lock);
    nlogd_role role = w->role;
    char caller[sizeof w->caller];
    snprintf(caller, sizeof caller, "%s", w->caller);
    pthread_mutex_unlock(&w->lock);
    if (m->has_level && level_refused(w->srv, role, caller, w->ip, m->level)) {
        char msg[256];
        snprintf(msg, sizeof msg, "filter.level: the key '%s' has the role %s, which never reads "
                                  "SECURITY or AUDIT records; accepted: TRACE to CRITICAL; the "
                                  "filter is unchanged",
                 caller, nlogd_role_name(role));
        send_error(w, "forbidden", msg);
        return -1;
    }
    pthread_mutex_lock(&w->lock);
    if (w->client)
        nlogd_hub_get_filter(w->client, &cur);
    else {
        cur = w->filter;
        cur.search = NULL;
    }
    nlogd_filter sf;
    memset(&sf, 0, sizeof sf);
    sf.min_level = m->has_level ? m->level : cur.min_level;
    snprintf(sf.category, sizeof sf.category, "%s", m->has_category ? m->category : cur.category);
    snprintf(sf.logger, sizeof sf.logger, "%s", m->has_logger ? m->logger : cur.logger);
    snprintf(sf.search, sizeof sf.search, "%s", m->has_search ? m->search : cur.search_text);
    int rc = 0;
    if (nlogd_live_filter_from(&nf, &sf) == 0) {
        if (w->client) {
            /* the sender answers, after the entries it took under the old filter */
            rc = nlogd_hub_set_filter_ack(w->client, &nf) == 0 ? 1 : -2;
            nlogd_live_filter_clear(&nf);
        } else {
            nlogd_live_filter_clear(&w->filter);
            w->filter = nf;
        }
    }
    pthread_mutex_unlock(&w->lock);
    if (rc == -2)
        send_error(w, "busy", "too many messages are waiting for their answer; the filter is "
                              "unchanged; wait for the answers before sending more");
    return rc;
}

static void on_auth(wsconn *w, const nlogd_ws_msg *m)
{
    nlogd_server *srv = w->srv;
    preauth_done(w);
    char name[NLOGD_KEY_NAME_MAX + 1] = "";
    nlogd_role r = nlogd_keys_check(&srv->keys, m->api_key, m->api_key_len, name, sizeof name);
    if (r == NLOGD_ROLE_NONE) {
        nlogd_count(srv, auth_refused, 1);
        nlogd_security_event(srv->selflog, "AUTH_FAILURE", "MEDIUM", NULL, w->ip, "WS",
                             "/api/v2/logs/stream", 401, "unknown API key (auth message)");
        close_with(w, 4401, "unauthorized", "the API key is not valid");
        return;
    }
    if (!nlogd_role_allows(r, NLOGD_PERM_READ)) {
        char msg[256];
        snprintf(msg, sizeof msg, "the key '%s' has the role %s; the stream needs %s", name,
                 nlogd_role_name(r), nlogd_perm_roles(NLOGD_PERM_READ));
        nlogd_count(srv, auth_forbidden, 1);
        nlogd_security_event(srv->selflog, "ACCESS_DENIED", "MEDIUM", name, w->ip, "WS",
                             "/api/v2/logs/stream", 403, "role may not read the stream");
        close_with(w, 4403, "forbidden", msg);
        return;
    }
    pthread_mutex_lock(&w->lock);
    int min_level = w->filter.min_level;
    pthread_mutex_unlock(&w->lock);
    if (level_refused(srv, r, name, w->ip, min_level)) {
        char msg[256];
        snprintf(msg, sizeof msg, "level: the key '%s' has the role %s, which never reads "
                                  "SECURITY or AUDIT records; accepted: TRACE to CRITICAL",
                 name, nlogd_role_name(r));
        close_with(w, 4403, "forbidden", msg);
        return;
    }
    /* the auth message is a request like any other: the key's rate applies */
    int wait = nlogd_rate_take(srv->rate, name, mono_ns());
    if (wait) {
        char msg[200];
        snprintf(msg, sizeof msg, "the key '%s' made more than %d requests in a second "
                                  "(server.rate_limit); retry after %d s",
                 name, srv->cfg.server_rate_limit, wait);
        nlogd_count(srv, rate_limited, 1);
        nlogd_security_event(srv->selflog, "RATE_LIMITED", "LOW", name, w->ip, "WS",
                             "/api/v2/logs/stream", 429, "rate limit (auth message)");
        close_with(w, 4429, "rate_limited", msg);
        return;
    }
    pthread_mutex_lock(&w->lock);
    w->role = r;
    snprintf(w->caller, sizeof w->caller, "%s", name);
    w->authed = 1;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static int on_data(struct mg_connection *conn, int bits, char *data, size_t len, void *cbdata)
{
    nlogd_server *srv = cbdata;
    wsconn *w = mg_get_user_connection_data(conn);
    if (!w)
        return 0;
    __atomic_store_n(&w->last_rx_ns, mono_ns(), __ATOMIC_RELAXED);
    int opcode = bits & 0x0f, fin = bits & 0x80;
    if (opcode == 0x8)
        return 0; /* the peer closes (or answers our close) */
    if (opcode == 0xA)
        return 1; /* pong: alive */
    if (opcode == 0x9) {
        nlogd_buf b;
        nlogd_buf_init(&b, 256);
        frame(&b, 0xA, data, len > 125 ? 125 : len);
        (void) put(w, &b);
        nlogd_buf_free(&b);
        return 1;
    }
    if (is_closing(w))
        return 1; /* waiting for the peer's close */
    if (opcode != 0x1 || !fin) {
        close_with(w, 1003, "unsupported_message",
                   opcode == 0x2 ? "binary messages are not accepted; accepted: JSON text "
                                   "messages"
                                 : "fragmented messages are not accepted; accepted: each JSON "
                                   "message in one text frame");
        return 1;
    }
    if (len > (size_t) srv->cfg.server_stream_max_message_size) {
        char m[200];
        snprintf(m, sizeof m, "a message of %zu bytes; accepted: at most %d bytes "
                              "(server.stream_max_message_size)",
                 len, srv->cfg.server_stream_max_message_size);
        close_with(w, 1009, "message_too_big", m);
        return 1;
    }
    nlogd_ws_msg *m = malloc(sizeof *m);
    nlogd_err e;
    if (!m) {
        close_with(w, 1011, "internal", "out of memory");
        return 1;
    }
    pthread_mutex_lock(&w->lock);
    int need_auth = w->need_auth && !w->authed;
    pthread_mutex_unlock(&w->lock);
    if (nlogd_ws_msg_parse(data, len, m, &e) != 0) {
        if (need_auth) {
            nlogd_count(srv, auth_refused, 1);
            nlogd_security_event(srv->selflog, "AUTH_FAILURE", "MEDIUM", NULL, w->ip, "WS",
                                 "/api/v2/logs/stream", 401, "malformed first message");
            close_with(w, 4401, "unauthorized", "the first message must be "
                                                "{\"type\":\"auth\",\"api_key\":\"KEY\"}");
        } else
            send_error(w, e.code, e.message);
    } else if (need_auth && m->type != NLOGD_WSMSG_AUTH) {
        nlogd_count(srv, auth_refused, 1);
        nlogd_security_event(srv->selflog, "AUTH_FAILURE", "MEDIUM", NULL, w->ip, "WS",
                             "/api/v2/logs/stream", 401, "no API key");
        close_with(w, 4401, "unauthorized",
                   "no API key: the first message must be {\"type\":\"auth\",\"api_key\":\"KEY\"}");
    } else {
        switch (m->type) {
        case NLOGD_WSMSG_AUTH:
            if (need_auth)
                on_auth(w, m);
            else
                send_error(w, "invalid_message", "already authenticated");
            break;
        case NLOGD_WSMSG_UPDATE_FILTER:
            if (apply_filter(w, m) == 0)
                send_filter(w, "filter"); /* not attached yet: no entry to overtake */
            break;
        case NLOGD_WSMSG_PAUSE:
        case NLOGD_WSMSG_RESUME: {
            int p = m->type == NLOGD_WSMSG_PAUSE;
            int queued = 0, busy = 0;
            pthread_mutex_lock(&w->lock);
            if (w->client) {
                /* the sender answers, after the entries it took before the pause */
                if (nlogd_hub_set_paused_ack(w->client, p) == 0) {
                    w->paused = p;
                    queued = 1;
                } else {
                    busy = 1;
                }
            } else {
                w->paused = p;
            }
            pthread_mutex_unlock(&w->lock);
            if (busy)
                send_error(w, "busy", "too many messages are waiting for their answer; nothing "
                                      "changed; wait for the answers before sending more");
            else if (!queued)
                send_text(w, p ? "{\"type\":\"paused\"}" : "{\"type\":\"resumed\"}",
                          p ? 17 : 18);
            break;
        }
        case NLOGD_WSMSG_PING:
            send_text(w, "{\"type\":\"pong\"}", 15);
            break;
        }
    }
    explicit_bzero(m, sizeof *m);
    free(m);
    return 1;
}

static void on_close(const struct mg_connection *conn, void *cbdata)
{
    nlogd_server *srv = cbdata;
    wsconn *w = mg_get_user_connection_data(conn);
    if (!w)
        return;
    mg_set_user_connection_data(conn, NULL);
    preauth_done(w);
    __atomic_store_n(&w->closing, 1, __ATOMIC_RELEASE);
    pthread_mutex_lock(&w->lock);
    pthread_cond_broadcast(&w->cond);
    if (w->client)
        nlogd_hub_kick(w->client);
    pthread_mutex_unlock(&w->lock);
    if (w->sender_started)
        pthread_join(w->sender, NULL);
    nlogd_ws *ws = ws_of(srv);
    pthread_mutex_lock(&ws->lock);
    for (wsconn **p = &ws->conns; *p; p = &(*p)->next)
        if (*p == w) {
            *p = w->next;
            break;
        }
    pthread_mutex_unlock(&ws->lock);
    nlogd_hub_detach(srv->hub, w->client);
    w->client = NULL;
    free_conn(w);
}

int nlogd_ws_start(nlogd_server *srv)
{
    nlogd_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return -1;
    pthread_mutex_init(&ws->lock, NULL);
    srv->ws = ws;
    mg_set_websocket_handler(srv->http, "/api/v2/logs/stream$", on_connect, on_ready, on_data,
                             on_close, srv);
    return 0;
}

void nlogd_ws_shutdown(nlogd_server *srv)
{
    nlogd_ws *ws = ws_of(srv);
    if (!ws)
        return;
    pthread_mutex_lock(&ws->lock);
    __atomic_store_n(&ws->stopping, 1, __ATOMIC_RELEASE);
    for (wsconn *w = ws->conns; w; w = w->next)
        close_with(w, 1001, "server_stopping", "nlogd is stopping; reconnect with resume_from");
    pthread_mutex_unlock(&ws->lock);
}

void nlogd_ws_revoke(nlogd_server *srv, const char *name)
{
    nlogd_ws *ws = ws_of(srv);
    if (!ws)
        return;
    pthread_mutex_lock(&ws->lock);
    for (wsconn *w = ws->conns; w; w = w->next) {
        pthread_mutex_lock(&w->lock);
        int hit = w->authed && strcmp(w->caller, name) == 0;
        pthread_mutex_unlock(&w->lock);
        if (hit)
            close_with(w, 4401, "unauthorized", "the API key of this stream was revoked");
    }
    pthread_mutex_unlock(&ws->lock);
}

void nlogd_ws_free(nlogd_server *srv)
{
    nlogd_ws *ws = ws_of(srv);
    if (!ws)
        return;
    pthread_mutex_destroy(&ws->lock);
    free(ws);
    srv->ws = NULL;
}
