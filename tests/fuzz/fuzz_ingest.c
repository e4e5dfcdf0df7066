/* fuzz_ingest.c: libFuzzer target for nlogd's ingest parser
 * (src/server/ingest_parse.c): JSON arrays and NDJSON bodies.
 *
 * Properties checked:
 *   - no crash, leak or hang (the sanitizers and the fuzzer);
 *   - a body either fails as a whole with a 4xx error and a message (bad
 *     input is never a 5xx), or yields accepted + rejected records where
 *     every accepted record has a known level, a timestamp whose store id
 *     (microseconds * 1024 + a tie-breaker < 1024, store.h) fits an
 *     int64_t, non-NULL strings, and groups that are JSON objects; every
 *     per-record error has a message;
 *   - every accepted record renders back to valid JSON (entry_json.c);
 *   - the fast path for plain records (ingest_fast.c) changes nothing: the
 *     body parsed with json-c alone gives the same records and errors;
 *   - an NDJSON body parsed in parts (nlogd_ingest_parse_part, as
 *     rest_ingest.c does for large bodies; part size from the input's
 *     length) gives the same records, rejections and errors.
 * Corpus: tests/fuzz/corpus/ingest/ (replayed by CTest as fuzz_ingest_replay). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <nlog/level.h>

#include "server/entry_json.h"
#include "server/ingest_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_object(const char *t)
{
    if (!t)
        return;
    json_object *o = json_tokener_parse(t);
    if (!o || !json_object_is_type(o, json_type_object))
        abort();
    json_object_put(o);
}

static int str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_same_as_jsonc(const uint8_t *data, size_t size, int rc, const nlogd_ingest *in,
                                const nlogd_err *e)
{
    nlogd_ingest ref;
    nlogd_err re;
    nlogd_ingest_init(&ref);
    int rrc = nlogd_ingest_parse_ex((const char *) data, size, &ref, &re, NLOGD_PARSE_NO_FAST);
    if (rrc != rc || (rc != 0 && (re.status != e->status || strcmp(re.message, e->message))))
        abort();
    if (rc == 0) {
        if (ref.n != in->n || ref.rejected != in->rejected || ref.n_errors != in->n_errors)
            abort();
        for (size_t i = 0; i < in->n_errors; i++)
            if (ref.errors[i].index != in->errors[i].index ||
                strcmp(ref.errors[i].message, in->errors[i].message) != 0)
                abort();
        for (size_t i = 0; i < in->n; i++) {
            const nlogd_record *x = &in->recs[i], *y = &ref.recs[i];
            if (x->ts_ns != y->ts_ns || x->level != y->level || x->line != y->line ||
                x->pid != y->pid || x->tid != y->tid || x->message_len != y->message_len ||
                memcmp(x->message, y->message, x->message_len) != 0 ||
                !str_eq(x->category, y->category) || !str_eq(x->logger, y->logger) ||
                !str_eq(x->function, y->function) || !str_eq(x->context, y->context) ||
                !str_eq(x->metadata, y->metadata) || !str_eq(x->perf, y->perf) ||
                !str_eq(x->extra, y->extra))
                abort();
        }
    }
    nlogd_ingest_free(&ref);
}

/* The parts of an NDJSON body against its whole parse (in, rc 0). */
static void check_parts(const uint8_t *data, size_t size, const nlogd_ingest *in)
{
    const char *body = (const char *) data;
    if (!nlogd_ingest_is_ndjson(body, size))
        return;
    size_t part = 1 + size % 97, pos = 0, index = 0, line = 0, n = 0, rej = 0, errs = 0;
    while (pos < size) {
        size_t end = nlogd_ingest_part_end(body, size, pos, part);
        if (end <= pos || end > size)
            abort();
        nlogd_ingest p;
        nlogd_err e;
        nlogd_ingest_init(&p);
        p.index_base = index;
        p.line_base = line;
        if (nlogd_ingest_parse_part(body + pos, end - pos, &p, &e) != 0)
            abort(); /* no memory limit: a part never fails */
        for (size_t i = 0; i < p.n; i++, n++)
            if (n >= in->n || p.recs[i].ts_ns != in->recs[n].ts_ns ||
                p.recs[i].message_len != in->recs[n].message_len ||
                memcmp(p.recs[i].message, in->recs[n].message, p.recs[i].message_len) != 0)
                abort();
        for (size_t i = 0; i < p.n_errors && errs < in->n_errors; i++, errs++)
            if (p.errors[i].index != in->errors[errs].index ||
                p.errors[i].line != in->errors[errs].line ||
                strcmp(p.errors[i].message, in->errors[errs].message) != 0)
                abort();
        rej += p.rejected;
        index = p.index_end;
        line = p.line_end;
        pos = end;
        nlogd_ingest_free(&p);
    }
    if (n != in->n || rej != in->rejected || index != in->n + in->rejected)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nlogd_ingest in;
    nlogd_err e;
    nlogd_ingest_init(&in);
    int rc = nlogd_ingest_parse((const char *) data, size, &in, &e);
    check_same_as_jsonc(data, size, rc, &in, &e);
    if (rc != 0) {
        if (e.status < 400 || e.status > 499 || e.message[0] == '\0')
            abort();
        nlogd_ingest_free(&in);
        return 0;
    }
    if (in.n_errors > in.rejected || in.n_errors > NLOGD_INGEST_ERRORS_MAX)
        abort();
    check_parts(data, size, &in);
    for (size_t i = 0; i < in.n_errors; i++)
        if (!in.errors[i].message[0])
            abort();
    for (size_t i = 0; i < in.n; i++) {
        const nlogd_record *r = &in.recs[i];
        if (nlog_level_index((nlog_level) r->level) < 0 || !r->category || !r->logger ||
            !r->message || !r->category[0] || !r->logger[0])
            abort();
        int64_t us = r->ts_ns / 1000 - (r->ts_ns % 1000 < 0), id;
        if (__builtin_mul_overflow(us, (int64_t) 1024, &id) ||
            __builtin_add_overflow(id, (int64_t) 1023, &id))
            abort();
        check_object(r->context);
        check_object(r->metadata);
        check_object(r->perf);
        check_object(r->extra);
        nlogd_entry en = {.id = 1, .ts_ns = r->ts_ns, .level = r->level, .category = r->category,
                          .logger = r->logger, .function = r->function, .message = r->message,
                          .message_len = r->message_len, .line = r->line, .pid = r->pid,
                          .tid = r->tid, .context = r->context, .metadata = r->metadata,
                          .perf = r->perf, .extra = r->extra};
        nlogd_buf b;
        nlogd_buf_init(&b, 64u << 20);
        nlogd_entry_json(&b, &en);
        json_tokener *tok = json_tokener_new();
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        json_object *o = json_tokener_parse_ex(tok, b.data, (int) b.len);
        if (!o || json_tokener_get_error(tok) != json_tokener_success)
            abort();
        json_object_put(o);
        json_tokener_free(tok);
        nlogd_buf_free(&b);
    }
    nlogd_ingest_free(&in);
    return 0;
}
