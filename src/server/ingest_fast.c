/* ingest_fast.c: the fast path of the ingest parser (see ingest_fast.h).
 *
 * json-c builds a tree of heap objects per record and re-serialises the
 * groups; profiling the HTTP ingest showed that to be about 13 us of the
 * 25 us a record cost end to end (bench/server). Records as applications
 * send them are plain: known members, ASCII strings, canonical numbers. This
 * file reads exactly those in one pass without allocating anything but the
 * arena copies, and refuses (returns 0) at the first thing that is not
 * plain, so the caller hands that record to json-c, which then decides
 * (accepts it the same way, or rejects it with the usual message).
 *
 * Invariant: for every input it accepts, the record equals what the json-c
 * path makes of it, field by field, including the groups' compact text
 * (json-c prints doubles with their source text, integers canonically, and
 * no white space). Checked by the differential test in
 * tests/unit/server/test_server_parse.c and by tests/fuzz/fuzz_ingest.c,
 * which parse every input both ways.
 *
 * Plain means:
 *   - an object whose members are the format's own (timestamp, level,
 *     category, message, module, function, line, context, metadata,
 *     performance_data, process_id, thread_id), each at most once; any other
 *     member goes to json-c (it is kept in `extra`);
 *   - strings of printable ASCII (0x20..0x7e); the message may also use the
 *     escapes \" \\ \/ \b \f \n \r \t (decoded); \u escapes, UTF-8 and
 *     control characters go to json-c (it validates UTF-8);
 *   - integers without a sign or leading zero, at most 18 digits, for line,
 *     process_id, thread_id (or null);
 *   - groups: objects (or null) nested at most 16 deep, keys unique per
 *     object (json-c keeps the last of duplicates), values as above plus
 *     negative integers, doubles (-?int.frac, exponents of at most 2 digits),
 *     true, false, null, arrays; strings without escapes;
 *   - white space ' ', '\t', '\r', '\n' between tokens (dropped from groups,
 *     as json-c's compact printing does).
 * Tested by: tests/unit/server/test_server_parse.c, tests/fuzz/fuzz_ingest.c */
#include <string.h>

#include <nlog/level.h>

#include "server/ingest_fast.h"
#include "server/timeparse.h"

#define TS_MIN_NS (-8520336000LL * 1000000000LL) /* 1700-01-01T00:00:00Z, as ingest_parse.c */
#define TS_MAX_NS (8835984000LL * 1000000000LL)  /* 2250-01-01T00:00:00Z */
#define GROUP_DEPTH 16
#define GROUP_KEYS 32                            /* members per object checked for duplicates */

typedef struct cur {
    const char *p, *end;
} cur;

static void ws(cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n'))
        c->p++;
}

static int plain_char(unsigned char ch)
{
    return ch >= 0x20 && ch <= 0x7e && ch != '"' && ch != '\\';
}

/* A string without escapes: [s, s+n) between the quotes. */
static int raw_string(cur *c, const char **s, size_t *n)
{
    if (c->p >= c->end || *c->p != '"')
        return 0;
    const char *q = ++c->p;
    while (q < c->end && plain_char((unsigned char) *q))
        q++;
    if (q >= c->end || *q != '"')
        return 0;
    *s = c->p;
    *n = (size_t) (q - c->p);
    c->p = q + 1;
    return 1;
}

/* The message: simple escapes decoded into the arena. 1, 0 (not plain), -1 (OOM). */
static int message_string(nlogd_ingest *in, cur *c, const char **ret, size_t *ret_len)
{
    if (c->p >= c->end || *c->p != '"')
        return 0;
    const char *q = c->p + 1;
    size_t n = 0;
    int esc = 0;
    while (q < c->end && *q != '"') {
        unsigned char ch = (unsigned char) *q;
        if (ch == '\\') {
            if (q + 1 >= c->end || !strchr("\"\\/bfnrt", q[1]) || q[1] == '\0')
                return 0;
            esc = 1;
            q += 2;
        } else if (ch >= 0x20 && ch <= 0x7e) {
            q++;
        } else {
            return 0;
        }
        n++;
    }
    if (q >= c->end || n > NLOGD_MESSAGE_MAX)
        return 0;
    char *out = nlogd_arena_alloc(&in->arena, n + 1);
    if (!out)
        return -1;
    const char *s = c->p + 1;
    if (!esc) {
        memcpy(out, s, n);
    } else {
        size_t k = 0;
        while (s < q) {
            if (*s != '\\') {
                out[k++] = *s++;
                continue;
            }
            char e = s[1];
            s += 2;
            out[k++] = e == 'b' ? '\b' : e == 'f' ? '\f' : e == 'n' ? '\n' : e == 'r' ? '\r'
                     : e == 't' ? '\t' : e;
        }
    }
    out[n] = '\0';
    *ret = out;
    *ret_len = n;
    c->p = q + 1;
    return 1;
}

static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* An unsigned canonical integer of at most 18 digits. */
static int uint_value(cur *c, int64_t *ret)
{
    const char *q = c->p;
    int64_t v = 0;
    while (q < c->end && is_digit(*q) && q - c->p < 18) /* no overflow: < 1e18 */
        v = v * 10 + (*q++ - '0');
    size_t nd = (size_t) (q - c->p);
    if (nd == 0 || nd > 18 || (nd > 1 && *c->p == '0') ||
        (q < c->end && (is_digit(*q) || *q == '.' || *q == 'e' || *q == 'E')))
        return 0;
    *ret = (int64_t) v;
    c->p = q;
    return 1;
}

static int literal(cur *c, const char *w)
{
    size_t n = strlen(w);
    if ((size_t) (c->end - c->p) < n || memcmp(c->p, w, n) != 0)
        return 0;
    c->p += n;
    return 1;
}

/* Output of a group's compact text. */
typedef struct gout {
    char *buf;
    size_t len, cap;
} gout;

static void put(gout *o, const char *s, size_t n)
{
    if (o->len + n <= o->cap)
        memcpy(o->buf + o->len, s, n);
    o->len += n;
}

/* A number as JSON has it; integers canonical (no "-0"), doubles copied. */
static int group_number(cur *c, gout *o)
{
    const char *s = c->p, *q = s;
    if (q < c->end && *q == '-')
        q++;
    const char *d = q;
    while (q < c->end && is_digit(*q))
        q++;
    size_t nd = (size_t) (q - d);
    if (nd == 0 || (nd > 1 && *d == '0') || nd > 18)
        return 0;
    int is_double = 0;
    if (q < c->end && *q == '.') {
        const char *f = ++q;
        while (q < c->end && is_digit(*q))
            q++;
        if (q == f || q - f > 17)
            return 0;
        is_double = 1;
    }
    if (q < c->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < c->end && (*q == '+' || *q == '-'))
            q++;
        const char *x = q;
        while (q < c->end && is_digit(*q))
            q++;
        if (q == x || q - x > 2)
            return 0;
        is_double = 1;
    }
    if (!is_double && *s == '-' && nd == 1 && *d == '0')
        return 0; /* json-c prints -0 as 0 */
    put(o, s, (size_t) (q - s));
    c->p = q;
    return 1;
}

static int group_value(cur *c, gout *o, int depth);

/* After a member or an element: a ',' (copied; returns 1, more follow), the
 * closing bracket `close` (copied; returns 0, the container is complete) or
 * anything else (returns -1, not a plain record). */
static int list_next(cur *c, gout *o, char close)
{
    ws(c);
    if (c->p < c->end && *c->p == ',') {
        c->p++;
        put(o, ",", 1);
        ws(c);
        return 1;
    }
    if (c->p < c->end && *c->p == close) {
        c->p++;
        put(o, &close, 1);
        return 0;
    }
    return -1;
}

static int group_object(cur *c, gout *o, int depth)
{
    const char *keys[GROUP_KEYS];
    size_t key_len[GROUP_KEYS], nk = 0;
    if (depth > GROUP_DEPTH)
        return 0;
    c->p++; /* '{' */
    put(o, "{", 1);
    ws(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
        put(o, "}", 1);
        return 1;
    }
    for (;;) {
        const char *k;
        size_t kl;
        if (!raw_string(c, &k, &kl) || nk == GROUP_KEYS)
            return 0;
        for (size_t i = 0; i < nk; i++)
            if (key_len[i] == kl && memcmp(keys[i], k, kl) == 0)
                return 0;
        keys[nk] = k;
        key_len[nk++] = kl;
        put(o, "\"", 1);
        put(o, k, kl);
        put(o, "\":", 2);
        ws(c);
        if (c->p >= c->end || *c->p != ':')
            return 0;
        c->p++;
        ws(c);
        if (!group_value(c, o, depth))
            return 0;
        int more = list_next(c, o, '}');
        if (more <= 0)
            return more == 0;
    }
}

static int group_array(cur *c, gout *o, int depth)
{
    if (depth > GROUP_DEPTH)
        return 0;
    c->p++; /* '[' */
    put(o, "[", 1);
    ws(c);
    if (c->p < c->end && *c->p == ']') {
        c->p++;
        put(o, "]", 1);
        return 1;
    }
    for (;;) {
        if (!group_value(c, o, depth))
            return 0;
        int more = list_next(c, o, ']');
        if (more <= 0)
            return more == 0;
    }
}

static int group_value(cur *c, gout *o, int depth)
{
    if (c->p >= c->end)
        return 0;
    switch (*c->p) {
    case '{': return group_object(c, o, depth + 1);
    case '[': return group_array(c, o, depth + 1);
    case '"': {
        const char *s;
        size_t n;
        if (!raw_string(c, &s, &n))
            return 0;
        put(o, s - 1, n + 2);
        return 1;
    }
    case 't': return literal(c, "true") ? (put(o, "true", 4), 1) : 0;
    case 'f': return literal(c, "false") ? (put(o, "false", 5), 1) : 0;
    case 'n': return literal(c, "null") ? (put(o, "null", 4), 1) : 0;
    default: return group_number(c, o);
    }
}

/* A group member's value: an object (compact text in the arena, NULL when
 * empty) or null. 1, 0 (not plain), -1 (OOM). */
static int group(nlogd_ingest *in, cur *c, const char **ret)
{
    if (literal(c, "null")) {
        *ret = NULL;
        return 1;
    }
    if (c->p >= c->end || *c->p != '{')
        return 0;
    /* The compact text is never longer than the source. */
    const char *start = c->p;
    cur probe = *c;
    gout dry = {NULL, 0, 0};
    if (!group_value(&probe, &dry, 0))
        return 0;
    if (dry.len == 2) { /* {} */
        *c = probe;
        *ret = NULL;
        return 1;
    }
    size_t src = (size_t) (probe.p - start);
    int same = dry.len == src; /* no white space: the source is the compact text */
    char *buf = nlogd_arena_alloc(&in->arena, dry.len + 1);
    if (!buf)
        return -1;
    if (same) {
        memcpy(buf, start, src);
    } else {
        gout o = {buf, 0, dry.len};
        (void) group_value(c, &o, 0);
    }
    buf[dry.len] = '\0';
    *c = probe;
    *ret = buf;
    return 1;
}

enum {
    M_TIMESTAMP = 1 << 0, M_LEVEL = 1 << 1, M_CATEGORY = 1 << 2, M_MESSAGE = 1 << 3,
    M_MODULE = 1 << 4, M_FUNCTION = 1 << 5, M_LINE = 1 << 6, M_CONTEXT = 1 << 7,
    M_METADATA = 1 << 8, M_PERF = 1 << 9, M_PID = 1 << 10, M_TID = 1 << 11,
};

static int member(const char *k, size_t kl)
{
    static const struct { const char *name; int bit; } names[] = {
        {"timestamp", M_TIMESTAMP}, {"level", M_LEVEL},       {"category", M_CATEGORY},
        {"message", M_MESSAGE},     {"module", M_MODULE},     {"function", M_FUNCTION},
        {"line", M_LINE},           {"context", M_CONTEXT},   {"metadata", M_METADATA},
        {"performance_data", M_PERF}, {"process_id", M_PID},  {"thread_id", M_TID},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == kl && memcmp(names[i].name, k, kl) == 0)
            return names[i].bit;
    return 0;
}

/* raw_string() already refused control characters: only the length is left. */
static int size_ok(size_t n, size_t max)
{
    return n >= 1 && n <= max;
}

int nlogd__ingest_fast(nlogd_ingest *in, const char *s, size_t len, size_t *ret_used,
                       nlogd_record *r)
{
    cur c = {s, s + len};
    int seen = 0, rc;
    memset(r, 0, sizeof *r);
    r->category = "application";
    r->logger = "root";
    r->line = r->pid = r->tid = -1;
    ws(&c);
    if (c.p >= c.end || *c.p != '{')
        return 0;
    c.p++;
    ws(&c);
    if (c.p < c.end && *c.p == '}')
        return 0; /* no members: json-c reports what is missing */
    for (;;) {
        const char *k, *v;
        size_t kl, vl;
        if (!raw_string(&c, &k, &kl))
            return 0;
        int m = member(k, kl);
        if (!m || (seen & m))
            return 0;
        seen |= m;
        ws(&c);
        if (c.p >= c.end || *c.p != ':')
            return 0;
        c.p++;
        ws(&c);
        switch (m) {
        case M_TIMESTAMP: {
            char why[128];
            if (!raw_string(&c, &v, &vl) || nlogd_time_parse(v, vl, &r->ts_ns, why, sizeof why) != 0 ||
                r->ts_ns < TS_MIN_NS || r->ts_ns >= TS_MAX_NS)
                return 0;
            break;
        }
        case M_LEVEL: {
            char name[16];
            nlog_level lv;
            if (!raw_string(&c, &v, &vl) || vl >= sizeof name)
                return 0;
            memcpy(name, v, vl);
            name[vl] = '\0';
            if (nlog_level_parse(name, &lv) != NLOG_OK)
                return 0;
            r->level = (int) lv;
            break;
        }
        case M_MESSAGE:
            if ((rc = message_string(in, &c, &r->message, &r->message_len)) != 1)
                return rc;
            break;
        case M_CATEGORY:
        case M_MODULE:
        case M_FUNCTION: {
            if (m == M_FUNCTION && literal(&c, "null"))
                break;
            if (!raw_string(&c, &v, &vl) || !size_ok(vl, m == M_CATEGORY ? 64 : 255))
                return 0;
            char *copy = nlogd_arena_strdup(&in->arena, v, vl);
            if (!copy)
                return -1;
            if (m == M_CATEGORY)
                r->category = copy;
            else if (m == M_MODULE)
                r->logger = copy;
            else
                r->function = copy;
            break;
        }
        case M_LINE:
        case M_PID:
        case M_TID: {
            int64_t x;
            if (literal(&c, "null"))
                break;
            if (!uint_value(&c, &x) || (m == M_LINE && x > 2147483647))
                return 0;
            if (m == M_LINE)
                r->line = x;
            else if (m == M_PID)
                r->pid = x;
            else
                r->tid = x;
            break;
        }
        default: { /* the groups */
            const char **dst = m == M_CONTEXT ? &r->context : m == M_METADATA ? &r->metadata
                                                                                : &r->perf;
            if ((rc = group(in, &c, dst)) != 1)
                return rc;
            break;
        }
        }
        ws(&c);
        if (c.p < c.end && *c.p == ',') {
            c.p++;
            ws(&c);
            continue;
        }
        if (c.p < c.end && *c.p == '}') {
            c.p++;
            break;
        }
        return 0;
    }
    if (!(seen & M_TIMESTAMP) || !(seen & M_LEVEL) || !(seen & M_MESSAGE))
        return 0;
    *ret_used = (size_t) (c.p - s);
    return 1;
}
