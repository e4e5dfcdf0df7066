/* pipeline.c: outputs and routing.
 *
 * Routing: the console, the main file and the remote output (server_url,
 * sink/remote.c) receive every record; the security
 * file receives SECURITY records and records of category "security"; the
 * audit file receives AUDIT records and records of category "audit". Each
 * format is encoded at most once per record, into the calling thread's
 * scratch buffers (scratch.c), so the call path does not allocate.
 * Tested by: tests/unit/core/test_pipeline.c */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/pipeline.h"
#include "core/scratch.h"
#include "format/json.h"
#include "format/json_cache.h"
#include "format/text.h"
#include "internal/diag.h"
#include "platform/platform.h"
#include "sink/remote.h"
#include "security/redact.h"
#include "sink/rotate.h"
#include "sink/sink.h"

uint64_t nlog__pipeline_syncs;
int nlog__pipeline_no_alloc;

struct output;
static nlog_status write_batch_final(struct output *o);

enum route { ROUTE_ALL, ROUTE_SECURITY, ROUTE_AUDIT };
enum format { FORMAT_JSON, FORMAT_CONSOLE, FORMAT_TEXT };

typedef struct output {
    nlog__sink *sink;
    enum route route;
    enum format format;
    char *batch;      /* asynchronous mode: lines waiting for one write(2) */
    size_t batch_len; /* bytes used */
    size_t batch_lines;
    int64_t retry_at_ns; /* a file batch that failed is retried from this time on */
} output;

/* Batch buffers hold this much beyond one record, so a write carries many. */
#define BATCH_BYTES (256 * 1024)

struct nlog__pipeline {
    output outs[8];     /* console, three files, remote: room to grow */
    size_t n_outs;
    nlog__text_opts console_opts;
    nlog__text_opts text_opts; /* text main file: no colours, every field */
    size_t record_cap;         /* bytes per line */
    int fsync_mode;            /* nlog_fsync_mode */
    int64_t fsync_interval_ns;
    int64_t next_sync_ns;      /* atomic: monotonic time the next interval sync is due */
    int dirty;                 /* atomic: written since the last sync */
    nlog__json_cache *jcache;  /* asynchronous writer only: call-site templates */
    nlog__redactor *redact;    /* masking and field encryption, or NULL (security/redact.h) */
    int audit_sync;            /* synchronous mode: AUDIT records are synced before the
                                  call returns (the asynchronous writer does it itself) */
};

static int env_set(const char *name)
{
    const char *v = nlog__env(name);
    return v && *v && strcmp(v, "0") != 0;
}

/* Colours: off if disabled in the configuration or NO_COLOR is set; on if
 * FORCE_COLOR or CLICOLOR_FORCE is set; otherwise on for a terminal. */
static int console_colors(const nlog_config *cfg, int fd)
{
    if (!cfg->console_colors)
        return 0;
    const char *no = nlog__env("NO_COLOR");
    if (no && *no)
        return 0;
    if (env_set("FORCE_COLOR") || env_set("CLICOLOR_FORCE"))
        return 1;
    return isatty(fd);
}

static nlog_status add(nlog__pipeline *p, nlog__sink *s, enum route r, enum format f)
{
    p->outs[p->n_outs].sink = s;
    p->outs[p->n_outs].route = r;
    p->outs[p->n_outs].format = f;
    p->n_outs++;
    return NLOG_OK;
}

/* Sealing options of one file (seal: the key that asks for it; by_default:
 * 1 for the files sealed by default, see nlog__file_opts). */
static void seal_opts(const nlog_config *cfg, int seal, int by_default, nlog__file_opts *o)
{
    o->seal = seal > 0;
    o->seal_if_set_up = by_default;
    o->seal_required = cfg->seal_required > 0;
    o->seal_key_dir = cfg->seal_key_dir;
    o->seal_max_records = cfg->seal_checkpoint_records > 0 ? (unsigned) cfg->seal_checkpoint_records
                                                           : 1000u;
    o->seal_interval_ns = (int64_t) (cfg->seal_checkpoint_interval_ms > 0
                                         ? cfg->seal_checkpoint_interval_ms
                                         : 1000) * 1000000;
}

/* Rotation options of one file from the resolved configuration. */
static void file_opts(const nlog_config *cfg, int keep_files, int keep_days, int64_t keep_bytes,
                      nlog__file_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_size = cfg->max_file_size > 0 ? cfg->max_file_size : 0;
    o->period = cfg->rotate > 0 ? cfg->rotate : NLOG_ROTATE_NONE;
    o->policy.compress = cfg->compression_enabled > 0;
    o->policy.algo = cfg->compression > 0 ? cfg->compression : NLOG_COMPRESSION_ZSTD;
    o->policy.keep_files = keep_files > 0 ? keep_files : 0;
    o->policy.keep_days = keep_days > 0 ? keep_days : 0;
    o->policy.keep_bytes = keep_bytes > 0 ? keep_bytes : 0;
}

nlog_status nlog__pipeline_create(const nlog_config *cfg, nlog__pipeline **ret_pipeline)
{
    nlog__pipeline *p = calloc(1, sizeof *p);
    if (!p)
        return NLOG_ENOMEM;
    p->record_cap = (size_t) cfg->max_record_size;
    p->fsync_mode = cfg->fsync;
    p->fsync_interval_ns = (int64_t) cfg->fsync_interval_ms * 1000000;
    p->audit_sync = cfg->audit_sync > 0;
    if (p->record_cap < NLOG__RECORD_MIN_CAP)
        p->record_cap = NLOG__RECORD_MIN_CAP;
    nlog_status st = nlog__redactor_create(cfg, p->record_cap, &p->redact);
    nlog__sink *s = NULL;
    if (st != NLOG_OK)
        goto fail;

    if (cfg->console_enabled) {
        int fd = cfg->console_stream == NLOG_CONSOLE_STDOUT ? STDOUT_FILENO : STDERR_FILENO;
        p->console_opts.colors = console_colors(cfg, fd);
        p->console_opts.utc = cfg->console_utc;
        p->console_opts.fields = cfg->console_fields;
        p->console_opts.caller = cfg->console_caller;
        st = nlog__console_sink_create(fd, &s);
        if (st != NLOG_OK)
            goto fail;
        add(p, s, ROUTE_ALL, FORMAT_CONSOLE);
    }
    if (cfg->file_enabled) {
        p->text_opts.utc = cfg->console_utc;
        p->text_opts.fields = 1;
        p->text_opts.caller = cfg->console_caller;
        nlog__file_opts fo;
        file_opts(cfg, cfg->retention_max_files, cfg->retention_max_age_days,
                  cfg->retention_max_total_size, &fo);
        if (cfg->seal > 0 && !cfg->structured_enabled) {
            /* Only JSON lines can be sealed. */
            nlog__diag(NLOG_DIAG_CONFIG, NLOG_ECONFIG, 0, NLOG__FILE_MAIN,
                       "seal: %s is written as text (structured_enabled: false) and only JSON "
                       "lines can be sealed: it is written UNSEALED",
                       NLOG__FILE_MAIN);
            if (cfg->seal_required > 0) {
                st = NLOG_ECONFIG;
                goto fail;
            }
        } else {
            seal_opts(cfg, cfg->seal, 0, &fo);
        }
        st = nlog__file_sink_create_opts(cfg->directory, NLOG__FILE_MAIN, &fo, &s);
        if (st != NLOG_OK)
            goto fail;
        add(p, s, ROUTE_ALL, cfg->structured_enabled ? FORMAT_JSON : FORMAT_TEXT);
        if (cfg->security_enabled) {
            file_opts(cfg, cfg->security_retention_max_files,
                      cfg->security_retention_max_age_days,
                      cfg->security_retention_max_total_size, &fo);
            seal_opts(cfg, cfg->seal_security, 1, &fo);
            st = nlog__file_sink_create_opts(cfg->directory, NLOG__FILE_SECURITY, &fo, &s);
            if (st != NLOG_OK)
                goto fail;
            add(p, s, ROUTE_SECURITY, FORMAT_JSON);
        }
        if (cfg->audit_enabled) {
            file_opts(cfg, cfg->audit_retention_max_files, cfg->audit_retention_max_age_days,
                      cfg->audit_retention_max_total_size, &fo);
            seal_opts(cfg, cfg->seal_audit, 1, &fo);
            st = nlog__file_sink_create_opts(cfg->directory, NLOG__FILE_AUDIT, &fo, &s);
            if (st != NLOG_OK)
                goto fail;
            add(p, s, ROUTE_AUDIT, FORMAT_JSON);
        }
    }
    if (cfg->server_url[0]) { /* remote output: JSON lines to an nlogd */
        st = nlog__remote_sink_create(cfg, &s);
        if (st != NLOG_OK)
            goto fail;
        add(p, s, ROUTE_ALL, FORMAT_JSON);
    }
    if (cfg->async) { /* ready before any crash drain, which must not allocate */
        for (size_t i = 0; i < p->n_outs; i++)
            p->outs[i].batch = malloc(BATCH_BYTES + p->record_cap);
        p->jcache = nlog__json_cache_create(); /* NULL: encode without templates */
    }
    *ret_pipeline = p;
    return NLOG_OK;
fail:
    nlog__pipeline_destroy(p);
    return st;
}

void nlog__pipeline_destroy(nlog__pipeline *p)
{
    if (!p)
        return;
    if (p->fsync_mode != NLOG_FSYNC_NEVER) /* closing counts as a rotation point */
        (void) nlog__pipeline_sync(p);
    for (size_t i = 0; i < p->n_outs; i++) {
        output *o = &p->outs[i];
        if (o->batch_len && write_batch_final(o) != NLOG_OK)
            NLOG__COUNT(records_failed, o->batch_lines);
        o->sink->ops->destroy(o->sink);
        free(o->batch);
    }
    nlog__json_cache_destroy(p->jcache);
    nlog__redactor_destroy(p->redact);
    free(p);
}

size_t nlog__pipeline_record_cap(const nlog__pipeline *p)
{
    return p->record_cap;
}

static int admits(enum route route, const nlog__record *r, nlog_category cat)
{
    switch (route) {
    case ROUTE_ALL: return 1;
    case ROUTE_SECURITY: return r->level == NLOG_LEVEL_SECURITY || cat == NLOG_CAT_SECURITY;
    case ROUTE_AUDIT: return r->level == NLOG_LEVEL_AUDIT || cat == NLOG_CAT_AUDIT;
    }
    return 0;
}

nlog_status nlog__pipeline_emit(nlog__pipeline *p, const nlog__record *r, nlog_category cat,
                                int *ret_truncated)
{
    nlog__record redacted; /* masked before any output sees the record */
    r = nlog__redact(p->redact, r, 0, &redacted);
    nlog__scratch *sc = nlog__scratch_get(p->record_cap);
    if (!sc) {
        NLOG__COUNT(records_failed, p->n_outs);
        return NLOG_ENOMEM;
    }
    nlog_status st = NLOG_OK;
    size_t json_len = 0;
    int truncated = 0, t;
    for (size_t i = 0; i < p->n_outs; i++) {
        const output *o = &p->outs[i];
        if (!admits(o->route, r, cat))
            continue;
        const char *line;
        size_t len;
        switch (o->format) {
        case FORMAT_JSON:
            if (json_len == 0) {
                json_len = nlog__json_encode(r, sc->json, p->record_cap, &t);
                truncated |= t;
            }
            line = sc->json;
            len = json_len;
            break;
        case FORMAT_CONSOLE:
            len = nlog__text_encode(r, &p->console_opts, sc->text, p->record_cap, &t);
            truncated |= t;
            line = sc->text;
            break;
        case FORMAT_TEXT:
        default:
            len = nlog__text_encode(r, &p->text_opts, sc->text, p->record_cap, &t);
            truncated |= t;
            line = sc->text;
            break;
        }
        if (o->sink->ops->write(o->sink, line, len) != NLOG_OK)
            st = NLOG_EIO;
    }
    *ret_truncated = truncated;
    if (p->audit_sync && r->level == NLOG_LEVEL_AUDIT && p->fsync_mode != NLOG_FSYNC_ALWAYS &&
        nlog__pipeline_sync(p) != NLOG_OK)
        st = NLOG_EIO;
    nlog__pipeline_after_write(p);
    return st;
}

nlog_status nlog__pipeline_flush(nlog__pipeline *p)
{
    nlog_status st = NLOG_OK;
    for (size_t i = 0; i < p->n_outs; i++)
        if (p->outs[i].sink->ops->flush(p->outs[i].sink) != NLOG_OK)
            st = NLOG_EIO;
    return st;
}

#define BATCH_RETRY_NS (100 * 1000000LL)

/* Last attempt for a batch kept because of a failure (the outputs close). */
static nlog_status write_batch_final(struct output *o)
{
    return o->sink->ops->write(o->sink, o->batch, o->batch_len);
}

/* Writes a batch. A file batch that fails (disk full, I/O error) is kept and
 * retried at most every 100 ms, so accepted records are not lost: meanwhile
 * the writer stops taking records and the queues fill, where the overflow
 * policy applies. A console batch that fails is dropped and counted (a closed
 * terminal or pipe does not come back). */
static nlog_status write_batch(output *o)
{
    if (o->batch_len == 0)
        return NLOG_OK;
    int64_t now = nlog__clock_monotonic_ns();
    if (o->retry_at_ns && now < o->retry_at_ns)
        return NLOG_EIO;
    nlog_status st = o->sink->ops->write(o->sink, o->batch, o->batch_len);
    if (st != NLOG_OK && o->format != FORMAT_CONSOLE) {
        o->retry_at_ns = now + BATCH_RETRY_NS;
        return st;
    }
    if (st != NLOG_OK && o->batch_lines > 1)
        NLOG__COUNT(records_failed, o->batch_lines - 1); /* the sink counted one */
    o->batch_len = 0;
    o->batch_lines = 0;
    o->retry_at_ns = 0;
    return st;
}

nlog_status nlog__pipeline_emit_batched(nlog__pipeline *p, const nlog__record *r,
                                        nlog_category cat, int *ret_truncated)
{
    nlog_status st = NLOG_OK;
    int truncated = 0, t;
    const char *json = NULL;
    size_t json_len = 0;
    size_t cap = BATCH_BYTES + p->record_cap;
    /* Masked and encrypted before any output sees the record (writer thread).
     * A call site the template cache knows needs no new scan: only records
     * that redaction left unchanged become templates, and a site's strings
     * cannot change (NLOG__REC_STATIC), so its records stay unchanged. A
     * changed record lives in a workspace: not static any more. */
    nlog__record redacted;
    if (p->redact && !nlog__json_cache_knows(p->jcache, r)) {
        const nlog__record *view = nlog__redact(p->redact, r, 1, &redacted);
        if (view == &redacted)
            redacted.flags &= ~NLOG__REC_STATIC;
        r = view;
    }
    *ret_truncated = 0;
    /* First make sure every output that takes the record has room for it, so
     * a record is either given to all of its outputs or to none. */
    for (size_t i = 0; i < p->n_outs; i++) {
        output *o = &p->outs[i];
        if (!admits(o->route, r, cat))
            continue;
        if (!o->batch && (nlog__pipeline_no_alloc || !(o->batch = malloc(cap))))
            return NLOG_EQUEUE_FULL;
        if (cap - o->batch_len < p->record_cap && write_batch(o) != NLOG_OK &&
            cap - o->batch_len < p->record_cap)
            return NLOG_EQUEUE_FULL;
    }
    for (size_t i = 0; i < p->n_outs; i++) {
        output *o = &p->outs[i];
        if (!admits(o->route, r, cat))
            continue;
        char *dst = o->batch + o->batch_len;
        size_t len;
        switch (o->format) {
        case FORMAT_JSON:
            if (!json) {
                json_len = nlog__json_encode_cached(p->jcache, r, dst, p->record_cap, &t);
                truncated |= t;
                json = dst;
            } else {
                memcpy(dst, json, json_len);
            }
            len = json_len;
            break;
        case FORMAT_CONSOLE:
            len = nlog__text_encode(r, &p->console_opts, dst, p->record_cap, &t);
            truncated |= t;
            break;
        case FORMAT_TEXT:
        default:
            len = nlog__text_encode(r, &p->text_opts, dst, p->record_cap, &t);
            truncated |= t;
            break;
        }
        o->batch_len += len;
        o->batch_lines++;
    }
    *ret_truncated = truncated;
    return st;
}

nlog_status nlog__pipeline_drain_batches(nlog__pipeline *p)
{
    nlog_status st = NLOG_OK;
    size_t wrote = 0;
    for (size_t i = 0; i < p->n_outs; i++) {
        wrote += p->outs[i].batch_len;
        if (write_batch(&p->outs[i]) != NLOG_OK)
            st = NLOG_EIO;
    }
    if (wrote)
        nlog__pipeline_after_write(p);
    return st;
}

/* The fsync policy after a write: `always` syncs now; `interval` syncs when
 * the interval has passed (one thread wins the due time), and the writer's
 * idle loop calls nlog__pipeline_tick() so the last writes are synced too. */
void nlog__pipeline_after_write(nlog__pipeline *p)
{
    if (p->fsync_mode == NLOG_FSYNC_ALWAYS) {
        (void) nlog__pipeline_sync(p);
    } else if (p->fsync_mode == NLOG_FSYNC_INTERVAL) {
        __atomic_store_n(&p->dirty, 1, __ATOMIC_RELAXED);
        nlog__pipeline_tick(p);
    }
}

void nlog__pipeline_tick(nlog__pipeline *p)
{
    if (p->fsync_mode != NLOG_FSYNC_INTERVAL || !__atomic_load_n(&p->dirty, __ATOMIC_RELAXED))
        return;
    int64_t now = nlog__clock_monotonic_ns();
    int64_t due = __atomic_load_n(&p->next_sync_ns, __ATOMIC_RELAXED);
    if (now < due ||
        !__atomic_compare_exchange_n(&p->next_sync_ns, &due, now + p->fsync_interval_ns, 0,
                                     __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        return;
    __atomic_store_n(&p->dirty, 0, __ATOMIC_RELAXED);
    (void) nlog__pipeline_sync(p);
}

nlog_status nlog__pipeline_sync(nlog__pipeline *p)
{
    nlog_status st = NLOG_OK;
    __atomic_fetch_add(&nlog__pipeline_syncs, 1, __ATOMIC_RELAXED);
    for (size_t i = 0; i < p->n_outs; i++)
        if (p->outs[i].sink->ops->sync(p->outs[i].sink) != NLOG_OK)
            st = NLOG_EIO;
    return st;
}

void nlog__pipeline_forget_batches(nlog__pipeline *p)
{
    for (size_t i = 0; i < p->n_outs; i++) {
        p->outs[i].batch_len = 0;
        p->outs[i].batch_lines = 0;
    }
}
