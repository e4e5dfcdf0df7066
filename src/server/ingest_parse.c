/* ingest_parse.c: JSON array / NDJSON bodies into records (see
 * ingest_parse.h). json-c parses with UTF-8 validation and exact 64-bit
 * integers; the groups (context, metadata, performance_data) are kept as
 * compact JSON text, and members the format does not know are kept in
 * `extra` rather than lost. Plain records take the fast path of
 * ingest_fast.c instead (same result, about ten times cheaper); json-c reads
 * whatever that path refuses. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <nlog/level.h>

#include "server/ingest_fast.h"
#include "server/ingest_parse.h"
#include "server/timeparse.h"

/* Record timestamps must fit the store's time-ordered ids (store.h). */
#define TS_MIN_NS (-8520336000LL * 1000000000LL) /* 1700-01-01T00:00:00Z */
#define TS_MAX_NS (8835984000LL * 1000000000LL)  /* 2250-01-01T00:00:00Z */
#define PARSE_DEPTH 64

void nlogd_ingest_init(nlogd_ingest *in)
{
    memset(in, 0, sizeof *in);
    nlogd_arena_init(&in->arena);
}

void nlogd_ingest_free(nlogd_ingest *in)
{
    nlogd_arena_free(&in->arena);
    free(in->recs);
    free(in->errors);
    in->recs = NULL;
    in->errors = NULL;
    in->n = in->cap = in->n_errors = 0;
}

size_t nlogd_ingest_mem(const nlogd_ingest *in)
{
    return in->arena.used + in->cap * sizeof *in->recs +
           (in->errors ? NLOGD_INGEST_ERRORS_MAX * sizeof *in->errors : 0);
}

/* The answer when parsing stopped for memory: over the request's budget
 * (the client can split the batch) or out of memory. */
static int mem_fail(const nlogd_ingest *in, nlogd_err *e)
{
    if (in->over)
        return nlogd_fail(e, 413, "payload_too_large", "body",
                          "body: its %zu records so far take more than %zu bytes of memory "
                          "(server.max_request_memory); nothing was stored; accepted: fewer or "
                          "smaller records per request",
                          in->n_base + in->n, in->mem_limit_total ? in->mem_limit_total
                                                                   : in->mem_limit);
    return nlogd_fail(e, 500, "internal", "", "out of memory");
}

static void reject(nlogd_ingest *in, size_t index, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void reject(nlogd_ingest *in, size_t index, size_t line, const char *fmt, ...)
{
    in->rejected++;
    if (in->n_errors >= NLOGD_INGEST_ERRORS_MAX)
        return;
    if (!in->errors) {
        in->errors = calloc(NLOGD_INGEST_ERRORS_MAX, sizeof *in->errors);
        if (!in->errors)
            return;
    }
    nlogd_ingest_error *er = &in->errors[in->n_errors++];
    er->index = index;
    er->line = line;
    va_list ap;
    va_start(ap, fmt);
    (void) vsnprintf(er->message, sizeof er->message, fmt, ap);
    va_end(ap);
}

static const char *type_name(json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null: return "null";
    case json_type_boolean: return "a boolean";
    case json_type_double:
    case json_type_int: return "a number";
    case json_type_object: return "an object";
    case json_type_array: return "an array";
    case json_type_string: return "a string";
    }
    return "a value";
}

static int text_ok(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];
        if (c < 0x20 || c == 0x7f)
            return 0;
    }
    return 1;
}

/* A compact JSON text of an object in the arena; NULL for an empty object. */
static const char *group_text(nlogd_ingest *in, json_object *v, int *oom)
{
    if (json_object_object_length(v) == 0)
        return NULL;
    size_t n;
    const char *t = json_object_to_json_string_length(
        v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    char *c = t ? nlogd_arena_strdup(&in->arena, t, n) : NULL;
    if (!c)
        *oom = 1;
    return c;
}

/* One record object into *r. Returns 0, 1 (rejected: reported), -1 (OOM). */
static int take_record(nlogd_ingest *in, json_object *o, size_t index, size_t line,
                       nlogd_record *r)
{
    char q[128];
    int have_ts = 0, have_level = 0, have_msg = 0, oom = 0;
    json_object *extra = NULL;
    memset(r, 0, sizeof *r);
    r->category = "application";
    r->logger = "root";
    r->line = r->pid = r->tid = -1;
    if (!json_object_is_type(o, json_type_object)) {
        reject(in, index, line, "record %zu: expected an object, found %s", index, type_name(o));
        return 1;
    }
    json_object_object_foreach(o, key, v) {
        int is_str = json_object_is_type(v, json_type_string);
        const char *s = is_str ? json_object_get_string(v) : NULL;
        size_t sl = is_str ? (size_t) json_object_get_string_len(v) : 0;
        if (strcmp(key, "timestamp") == 0) {
            char why[128];
            if (!is_str) {
                reject(in, index, line, "record %zu: timestamp: expected a string, found %s; "
                       "accepted: %s", index, type_name(v), NLOGD_TIME_ACCEPTED);
                goto bad;
            }
            if (nlogd_time_parse(s, sl, &r->ts_ns, why, sizeof why) != 0) {
                nlogd_quote(q, sizeof q, s, sl);
                reject(in, index, line, "record %zu: timestamp: %s is not a time (%s); "
                       "accepted: %s", index, q, why, NLOGD_TIME_ACCEPTED);
                goto bad;
            }
            if (r->ts_ns < TS_MIN_NS || r->ts_ns >= TS_MAX_NS) {
                nlogd_quote(q, sizeof q, s, sl);
                reject(in, index, line, "record %zu: timestamp: %s is out of range; accepted: "
                       "times from 1700-01-01 to 2249-12-31", index, q);
                goto bad;
            }
            have_ts = 1;
        } else if (strcmp(key, "level") == 0) {
            nlog_level lv;
            char name[16];
            if (is_str && sl < sizeof name && !memchr(s, '\0', sl)) {
                memcpy(name, s, sl + 1);
                if (nlog_level_parse(name, &lv) == NLOG_OK) {
                    r->level = (int) lv;
                    have_level = 1;
                    continue;
                }
            }
            if (is_str)
                nlogd_quote(q, sizeof q, s, sl);
            else
                snprintf(q, sizeof q, "%s", type_name(v));
            reject(in, index, line, "record %zu: level: unknown level %s; accepted: TRACE, DEBUG, "
                   "INFO, WARNING (or WARN), ERROR, CRITICAL, SECURITY, AUDIT (any case)",
                   index, q);
            goto bad;
        } else if (strcmp(key, "message") == 0) {
            if (!is_str) {
                reject(in, index, line, "record %zu: message: expected a string, found %s",
                       index, type_name(v));
                goto bad;
            }
            if (sl > NLOGD_MESSAGE_MAX) {
                reject(in, index, line, "record %zu: message: %zu bytes; accepted: at most %d",
                       index, sl, NLOGD_MESSAGE_MAX);
                goto bad;
            }
            r->message = nlogd_arena_strdup(&in->arena, s, sl);
            r->message_len = sl;
            oom |= !r->message;
            have_msg = 1;
        } else if (strcmp(key, "category") == 0 || strcmp(key, "module") == 0 ||
                   strcmp(key, "function") == 0) {
            int is_fn = key[0] == 'f';
            size_t max = key[0] == 'c' ? 64 : 255;
            if (is_fn && json_object_is_type(v, json_type_null))
                continue;
            if (!is_str || sl == 0 || sl > max || !text_ok(s, sl)) {
                if (is_str)
                    nlogd_quote(q, sizeof q, s, sl);
                else
                    snprintf(q, sizeof q, "%s", type_name(v));
                reject(in, index, line, "record %zu: %s: %s is not accepted; accepted: a string "
                       "of 1 to %zu bytes without control characters%s", index, key, q, max,
                       is_fn ? ", or null" : "");
                goto bad;
            }
            char *c = nlogd_arena_strdup(&in->arena, s, sl);
            oom |= !c;
            if (key[0] == 'c')
                r->category = c;
            else if (key[0] == 'm')
                r->logger = c;
            else
                r->function = c;
        } else if (strcmp(key, "line") == 0 || strcmp(key, "process_id") == 0 ||
                   strcmp(key, "thread_id") == 0) {
            if (json_object_is_type(v, json_type_null))
                continue;
            int64_t x = json_object_get_int64(v);
            if (!json_object_is_type(v, json_type_int) || x < 0 ||
                (key[0] == 'l' && x > 2147483647)) {
                reject(in, index, line, "record %zu: %s: expected a whole number from 0 to %s, "
                       "or null; found %s", index, key, key[0] == 'l' ? "2147483647" :
                       "9223372036854775807", type_name(v));
                goto bad;
            }
            if (key[0] == 'l')
                r->line = x;
            else if (key[0] == 'p')
                r->pid = x;
            else
                r->tid = x;
        } else if (strcmp(key, "context") == 0 || strcmp(key, "metadata") == 0 ||
                   strcmp(key, "performance_data") == 0) {
            if (json_object_is_type(v, json_type_null))
                continue;
            if (!json_object_is_type(v, json_type_object)) {
                reject(in, index, line, "record %zu: %s: expected an object, found %s", index,
                       key, type_name(v));
                goto bad;
            }
            const char *t = group_text(in, v, &oom);
            if (key[0] == 'c')
                r->context = t;
            else if (key[0] == 'm')
                r->metadata = t;
            else
                r->perf = t;
        } else {
            if (!extra && !(extra = json_object_new_object())) {
                oom = 1;
                continue;
            }
            if (json_object_object_add(extra, key, json_object_get(v)) != 0)
                oom = 1;
        }
    }
    if (!have_ts || !have_level || !have_msg) {
        reject(in, index, line, "record %zu: missing %s; every record needs timestamp, level "
               "and message", index, !have_ts ? "timestamp" : !have_level ? "level" : "message");
        goto bad;
    }
    if (extra) {
        r->extra = group_text(in, extra, &oom);
        json_object_put(extra);
    }
    return oom ? -1 : 0;
bad:
    json_object_put(extra);
    return oom ? -1 : 1;
}

/* Room for one more record; -1 when memory ran out or the request's
 * budget is spent (in->over). */
static int reserve(nlogd_ingest *in)
{
    if (in->mem_limit && nlogd_ingest_mem(in) > in->mem_limit) {
        in->over = 1;
        return -1;
    }
    if (in->n == in->cap) {
        size_t nc = in->cap ? in->cap * 2 : 64;
        if (in->mem_limit) { /* do not let the doubling itself overshoot the budget */
            size_t room = (in->mem_limit - nlogd_ingest_mem(in)) / sizeof *in->recs;
            if (nc - in->cap > room)
                nc = in->cap + (room ? room : 1);
        }
        nlogd_record *nr = realloc(in->recs, nc * sizeof *nr);
        if (!nr)
            return -1;
        in->recs = nr;
        in->cap = nc;
    }
    return 0;
}

static int push(nlogd_ingest *in, json_object *o, size_t index, size_t line)
{
    if (reserve(in) != 0)
        return -1;
    int rc = take_record(in, o, index, line, &in->recs[in->n]);
    if (rc == 0)
        in->n++;
    return rc < 0 ? -1 : 0;
}

static json_tokener *new_tokener(void)
{
    json_tokener *tok = json_tokener_new_ex(PARSE_DEPTH);
    if (tok)
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    return tok;
}

static int only_space(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

/* The whole array through the fast path: 1 (done), 0 (some element is not
 * plain: nothing kept, json-c reads the array), -1 (out of memory). */
static int fast_array(const char *body, size_t len, nlogd_ingest *in)
{
    size_t n0 = in->n, pos = 0;
    while (pos < len && (body[pos] == ' ' || body[pos] == '\t' || body[pos] == '\r' ||
                         body[pos] == '\n'))
        pos++;
    if (pos == len || body[pos] != '[')
        return 0;
    pos++;
    for (;;) {
        size_t used;
        if (reserve(in) != 0)
            return -1;
        int rc = nlogd__ingest_fast(in, body + pos, len - pos, &used, &in->recs[in->n]);
        if (rc < 0)
            return -1;
        if (rc == 0)
            break;
        in->n++;
        pos += used;
        while (pos < len && (body[pos] == ' ' || body[pos] == '\t' || body[pos] == '\r' ||
                             body[pos] == '\n'))
            pos++;
        if (pos < len && body[pos] == ',') {
            pos++;
            continue;
        }
        if (pos < len && body[pos] == ']' && only_space(body + pos + 1, len - pos - 1))
            return 1;
        break;
    }
    in->n = n0;
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The extent of the JSON value starting at s[0] (not space): *ret_len bytes
 * and about *ret_values values in it (commas, colons and openings count; an
 * upper bound of what json-c would allocate nodes for). Strings are skipped
 * with their escapes; brackets are only counted, json-c checks the rest.
 * Returns 0, or -1 when the value does not end within s[0..len). */
static int value_extent(const char *s, size_t len, size_t *ret_len, size_t *ret_values)
{
    size_t depth = 0, values = 1, i = 0;
    for (; i < len; i++) {
        char c = s[i];
        if (c == '"') {
            for (i++; i < len && s[i] != '"'; i++)
                if (s[i] == '\\')
                    i++;
            if (i >= len)
                return -1;
            if (depth == 0) {
                i++;
                break;
            }
        } else if (c == '{' || c == '[') {
            depth++;
            values++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                break; /* the end of the enclosing array */
            if (--depth == 0) {
                i++;
                break;
            }
        } else if (c == ',' || c == ':') {
            if (depth == 0)
                break;
            values++;
        } else if (depth == 0 && is_space(c)) {
            break;
        }
    }
    if (depth > 0 || i == 0)
        return -1;
    *ret_len = i;
    *ret_values = values;
    return 0;
}

/* The values in s[0..n) as value_extent() counts them, for a line that may
 * not be JSON at all. */
static size_t count_values(const char *s, size_t n)
{
    size_t values = 1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') {
            for (i++; i < n && s[i] != '"'; i++)
                if (s[i] == '\\')
                    i++;
        } else if (s[i] == '{' || s[i] == '[' || s[i] == ',' || s[i] == ':') {
            values++;
        }
    }
    return values;
}

/* Checks one record's text against the size bounds before json-c reads it:
 * 0 (read it), 1 (rejected: too big). */
static int too_big(nlogd_ingest *in, size_t index, size_t line, size_t bytes, size_t values)
{
    if (bytes > NLOGD_RECORD_MAX) {
        reject(in, index, line, "record %zu: %zu bytes of JSON; accepted: at most %d bytes per "
               "record", index, bytes, NLOGD_RECORD_MAX);
        return 1;
    }
    if (values > NLOGD_RECORD_VALUES_MAX) {
        reject(in, index, line, "record %zu: more than %d JSON values; accepted: at most %d "
               "values per record", index, NLOGD_RECORD_VALUES_MAX, NLOGD_RECORD_VALUES_MAX);
        return 1;
    }
    return 0;
}

static int bad_array(nlogd_err *e, size_t at, const char *why)
{
    return nlogd_fail(e, 400, "malformed_body", "body",
                      "body: not a valid JSON array near byte %zu (%s); accepted: a JSON "
                      "array of records or NDJSON, one record per line, UTF-8",
                      at, why);
}

/* json-c reads the array one element at a time (a tree of the whole body
 * would take many times its size in small allocations). */
static int parse_array(const char *body, size_t len, nlogd_ingest *in, nlogd_err *e, int fast)
{
    if (fast && len <= 0x7fffffff) {
        int rc = fast_array(body, len, in);
        if (rc < 0)
            return mem_fail(in, e);
        if (rc > 0)
            return 0;
    }
    json_tokener *tok = new_tokener();
    if (!tok)
        return nlogd_fail(e, 500, "internal", "", "out of memory");
    size_t pos = 0, index = 0;
    while (pos < len && is_space(body[pos]))
        pos++;
    pos++; /* the '[' (nlogd_ingest_parse_ex looked) */
    int rc = 0, first = 1;
    for (;;) {
        while (pos < len && is_space(body[pos]))
            pos++;
        if (pos < len && body[pos] == ']' && first) {
            pos++;
            break;
        }
        size_t n, values;
        if (pos >= len || value_extent(body + pos, len - pos, &n, &values) != 0) {
            json_tokener_free(tok);
            return bad_array(e, pos, pos >= len ? "unexpected end of data"
                                                : "unterminated or misplaced value");
        }
        if (!too_big(in, index, 0, n, values)) {
            json_tokener_reset(tok);
            json_object *o = json_tokener_parse_ex(tok, body + pos, (int) n);
            enum json_tokener_error jerr = json_tokener_get_error(tok);
            size_t pend = json_tokener_get_parse_end(tok);
            if (jerr == json_tokener_continue && pend == n && body[pos] != '{' &&
                body[pos] != '[') {
                /* a number at the end of the text json-c was given: it waits
                 * for more digits; a space ends it */
                o = json_tokener_parse_ex(tok, " ", 1);
                jerr = json_tokener_get_error(tok);
                pend = n;
            }
            if (!o || jerr != json_tokener_success || pend != n) {
                json_object_put(o);
                json_tokener_free(tok);
                return bad_array(e, pos + pend, jerr == json_tokener_success
                                                    ? "text after a value"
                                                    : json_tokener_error_desc(jerr));
            }
            rc = push(in, o, index, 0);
            json_object_put(o);
            if (rc)
                break;
        }
        index++;
        first = 0;
        pos += n;
        while (pos < len && is_space(body[pos]))
            pos++;
        if (pos < len && body[pos] == ',') {
            pos++;
            continue;
        }
        if (pos < len && body[pos] == ']') {
            pos++;
            break;
        }
        json_tokener_free(tok);
        return bad_array(e, pos, pos >= len ? "unexpected end of data" : "expected , or ]");
    }
    json_tokener_free(tok);
    if (rc)
        return mem_fail(in, e);
    if (!only_space(body + pos, len - pos))
        return bad_array(e, pos, "text after the array");
    return 0;
}

static int parse_ndjson(const char *body, size_t len, nlogd_ingest *in, nlogd_err *e, int fast,
                        int part)
{
    json_tokener *tok = new_tokener();
    if (!tok)
        return nlogd_fail(e, 500, "internal", "", "out of memory");
    size_t pos = 0, lineno = in->line_base, index = in->index_base;
    int rc = 0;
    while (pos < len && rc == 0) {
        const char *nl = memchr(body + pos, '\n', len - pos);
        size_t end = nl ? (size_t) (nl - body) : len;
        lineno++;
        const char *ln = body + pos;
        size_t ll = end - pos;
        pos = end + 1;
        if (only_space(ln, ll))
            continue;
        if (ll > NLOGD_RECORD_MAX) {
            (void) too_big(in, index++, lineno, ll, 0);
            continue;
        }
        if (fast) {
            size_t used;
            if (reserve(in) != 0) {
                rc = -1;
                break;
            }
            int fr = nlogd__ingest_fast(in, ln, ll, &used, &in->recs[in->n]);
            if (fr < 0) {
                rc = -1;
                break;
            }
            if (fr > 0 && only_space(ln + used, ll - used)) {
                in->n++;
                index++;
                continue;
            }
        }
        if (too_big(in, index, lineno, ll, count_values(ln, ll))) {
            index++;
            continue;
        }
        json_tokener_reset(tok);
        json_object *o = json_tokener_parse_ex(tok, ln, (int) ll);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        size_t pend = json_tokener_get_parse_end(tok);
        if (!o || jerr != json_tokener_success || !only_space(ln + pend, ll - pend)) {
            reject(in, index++, lineno, "line %zu: not valid JSON near column %zu (%s)", lineno,
                   pend + 1, jerr == json_tokener_success ? "text after the record"
                                                          : json_tokener_error_desc(jerr));
            json_object_put(o);
            continue;
        }
        rc = push(in, o, index++, lineno);
        json_object_put(o);
    }
    json_tokener_free(tok);
    in->index_end = index;
    in->line_end = lineno;
    if (rc)
        return mem_fail(in, e);
    if (index == 0 && !part)
        return nlogd_no_records(e);
    return 0;
}

int nlogd_ingest_parse(const char *body, size_t len, nlogd_ingest *in, nlogd_err *e)
{
    return nlogd_ingest_parse_ex(body, len, in, e, 0);
}

int nlogd_ingest_parse_ex(const char *body, size_t len, nlogd_ingest *in, nlogd_err *e,
                          unsigned flags)
{
    int fast = !(flags & NLOGD_PARSE_NO_FAST);
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
        i++;
    if (i == len)
        return nlogd_fail(e, 400, "malformed_body", "body",
                          "body: empty; accepted: a JSON array of records or NDJSON, one record "
                          "per line");
    if (body[i] == '[')
        return parse_array(body, len, in, e, fast);
    return parse_ndjson(body, len, in, e, fast, 0);
}

int nlogd_no_records(nlogd_err *e)
{
    return nlogd_fail(e, 400, "malformed_body", "body",
                      "body: holds no records; accepted: a JSON array of records or NDJSON, "
                      "one record per line");
}

int nlogd_ingest_is_ndjson(const char *body, size_t len)
{
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
        i++;
    return i < len && body[i] != '[';
}

size_t nlogd_ingest_part_end(const char *body, size_t len, size_t pos, size_t part_bytes)
{
    if (len - pos <= part_bytes)
        return len;
    const char *nl = memchr(body + pos + part_bytes, '\n', len - pos - part_bytes);
    return nl ? (size_t) (nl - body) + 1 : len;
}

int nlogd_ingest_parse_part(const char *part, size_t len, nlogd_ingest *in, nlogd_err *e)
{
    return parse_ndjson(part, len, in, e, 1, 1);
}
