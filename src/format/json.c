/* json.c: encodes one record as one line of JSON.
 *
 * Two passes at most, and the common case takes one. The optimistic pass
 * writes the whole record straight into the caller's buffer, checking only
 * that each piece fits. If something does not, a planning pass measures the
 * escaped size of every string (each measurement stops once it passes the
 * buffer size, so an oversized string costs O(cap), not O(len)) and hands
 * out exact byte budgets, then the record is written again under them.
 *
 * Invariants:
 *  - Output never exceeds cap, always parses as one JSON object, ends in
 *    "}\n" and contains no other '\n': every byte < 0x20 is escaped.
 *  - Strings are cut only between whole escapes/characters and then end in
 *    U+2026; keys are never cut (a field whose key does not fit is left out).
 *  - *ret_truncated == 1 exactly when the output differs from what an
 *    unlimited buffer would have received.
 * Budget order when cutting: the structure, timestamp, level, line,
 * process_id and thread_id are fixed costs; category, module and function
 * first get up to SMALL_BUDGET bytes each; the message gets what the fields
 * do not need, but at least half of what remains; fields are taken whole in
 * order while they fit, a string value that no longer fits is cut to fill
 * the rest, later fields that cannot fit are left out; any bytes still
 * unused go back to category, module and function.
 * Tested by: tests/unit/format/test_json_golden.c, test_json_escape.c,
 *            test_json_truncate.c, tests/fuzz/fuzz_json_encode.c */
#include "format/json.h"

#include <assert.h>
#include <string.h>

#include "format/numfmt.h"
#include "format/scan.h"
#include "format/timefmt.h"
#include "format/utf8.h"
#include "internal/compiler.h"

#define SMALL_BUDGET 128 /* guaranteed content bytes for category, module, function */
#define MIN_CUT      8   /* least content worth keeping of a cut field value */
#define NGROUPS      3

static const char hexd[16] = "0123456789abcdef";

static const char *const group_open[NGROUPS] = {",\"context\":{", ",\"metadata\":{",
                                                ",\"performance_data\":{"};
static const size_t group_open_len[NGROUPS] = {12, 13, 21};

/* The fixed pieces between the values, in output order. */
#define P_TS         "{\"timestamp\":\""
#define P_LEVEL      "\",\"level\":"
#define P_CATEGORY   ",\"category\":"
#define P_MESSAGE    ",\"message\":"
#define P_MODULE     ",\"module\":"
#define P_FUNCTION   ",\"function\":"
#define P_LINE       ",\"line\":"
#define P_PID        ",\"process_id\":"
#define P_TID        ",\"thread_id\":"
#define P_END        "}\n"
#define LIT_LEN(lit) (sizeof(lit) - 1)

/* The escaper. `measure` is a constant at every call site, so the compiler
 * emits a writing and a counting copy. Units (an escape, a character, or the
 * U+FFFD for an ill-formed sequence) are written whole or not at all. */
static inline __attribute__((always_inline)) size_t escape_core(char *dst, size_t room,
                                                                const unsigned char *s, size_t len,
                                                                size_t *ret_used, const int measure)
{
    size_t i = 0, o = 0;

    while (i < len) {
        size_t lim = NLOG__MIN(len - i, room - o);
        size_t run = measure ? nlog__scan_json(s + i, lim) : nlog__copy_json(dst + o, s + i, lim);
        i += run;
        o += run;
        if (run == lim)
            break; /* input done, or room full */

        unsigned c = s[i];
        char esc[6];
        const char *src = esc;
        size_t in = 1, un = 2;
        if (c < 0x80) {
            esc[0] = '\\';
            switch (c) {
            case '"': esc[1] = '"'; break;
            case '\\': esc[1] = '\\'; break;
            case '\n': esc[1] = 'n'; break;
            case '\r': esc[1] = 'r'; break;
            case '\t': esc[1] = 't'; break;
            case '\b': esc[1] = 'b'; break;
            case '\f': esc[1] = 'f'; break;
            default:
                memcpy(esc + 1, "u00", 3);
                esc[4] = hexd[c >> 4];
                esc[5] = hexd[c & 15];
                un = 6;
                break;
            }
        } else {
            uint32_t cp;
            in = nlog__utf8_next(s + i, len - i, &cp);
            if (cp == NLOG__UTF8_BAD) {
                src = NLOG__UTF8_REPLACEMENT;
                un = 3;
            } else if (cp == 0x2028 || cp == 0x2029) {
                /* Valid JSON, but line terminators to JavaScript. */
                src = cp == 0x2028 ? "\\u2028" : "\\u2029";
                un = 6;
            } else {
                src = (const char *) s + i;
                un = in;
            }
        }
        if (un > room - o)
            break;
        if (!measure)
            memcpy(dst + o, src, un);
        o += un;
        i += in;
    }
    *ret_used = i;
    return o;
}

size_t nlog__json_escape(char *dst, size_t room, const char *s, size_t len, size_t *ret_used)
{
    return escape_core(dst, room, (const unsigned char *) s, len, ret_used, 0);
}

/* Escaped length of s, or ceil + 1 if it is longer than ceil. */
static size_t esc_len(const char *s, size_t len, size_t ceil)
{
    size_t used;
    size_t o = escape_core(NULL, ceil, (const unsigned char *) s, len, &used, 1);
    return used == len ? o : ceil + 1;
}

/* Content length of s cut to budget b (b >= 3, s longer than b). */
static size_t esc_cut_len(const char *s, size_t len, size_t b)
{
    size_t used;
    return escape_core(NULL, b - 3, (const unsigned char *) s, len, &used, 1) + 3;
}

typedef struct jw {
    char *p;      /* next byte to write */
    char *end;    /* one past the last usable byte */
    int overflow; /* a piece did not fit; nothing after it was written */
    /* Template mode (nlog__json_template): the values that vary between
     * records of one call site are recorded as holes instead of written. */
    char *start;
    nlog__json_hole *holes; /* NULL: normal mode */
    size_t n_holes, max_holes;
} jw;


static void jw_fail(jw *w)
{
    w->overflow = 1;
    w->end = w->p; /* every later put fails at once */
}

/* Template mode: marks the current position as the place of value `what`. */
static void put_hole(jw *w, int what)
{
    if (w->n_holes == w->max_holes) {
        jw_fail(w);
        return;
    }
    w->holes[w->n_holes].offset = (uint16_t) (w->p - w->start);
    w->holes[w->n_holes].what = (int16_t) what;
    w->n_holes++;
}

static inline void put(jw *w, const char *s, size_t n)
{
    if (NLOG_UNLIKELY((size_t) (w->end - w->p) < n)) {
        jw_fail(w);
        return;
    }
    memcpy(w->p, s, n);
    w->p += n;
}

#define PUT_LIT(w, lit) put((w), "" lit, LIT_LEN(lit))

/* "s" in full, or overflow: the general case. */
static __attribute__((noinline)) void put_str_slow(jw *w, const char *s, size_t len)
{
    size_t room = (size_t) (w->end - w->p), used, o;

    if (room < 2) {
        jw_fail(w);
        return;
    }
    o = escape_core(w->p + 1, room - 2, (const unsigned char *) s, len, &used, 0);
    if (used < len) {
        jw_fail(w);
        return;
    }
    w->p[0] = '"';
    w->p[1 + o] = '"';
    w->p += o + 2;
}

/* "s" in full, or overflow. Inline for the common case: the string fits and
 * needs no escape, so it is one scan-and-copy between two quotes. */
static inline void put_str(jw *w, const char *s, size_t len)
{
    if (NLOG_LIKELY(len + 2 <= (size_t) (w->end - w->p))) {
        size_t run = nlog__copy_json(w->p + 1, (const unsigned char *) s, len);
        if (NLOG_LIKELY(run == len)) {
            w->p[0] = '"';
            w->p[1 + len] = '"';
            w->p += len + 2;
            return;
        }
    }
    put_str_slow(w, s, len);
}

/* "s" with at most b content bytes, cut with U+2026 if longer; b >= 3
 * whenever s needs cutting (the plan guarantees it). */
static void put_str_budget(jw *w, const char *s, size_t len, size_t b)
{
    size_t room = (size_t) (w->end - w->p), used, o;

    if (room < 2) {
        jw_fail(w);
        return;
    }
    /* A cut value may come out a few bytes under its budget (whole units
     * only), and the plan hands those bytes to earlier strings; clamping
     * to the room cannot change the cut, which already fits. */
    b = NLOG__MIN(b, room - 2);
    o = escape_core(w->p + 1, b, (const unsigned char *) s, len, &used, 0);
    if (used < len) {
        assert(b >= 3);
        o = b >= 3 ? escape_core(w->p + 1, b - 3, (const unsigned char *) s, len, &used, 0) : 0;
        memcpy(w->p + 1 + o, NLOG__UTF8_ELLIPSIS, 3);
        o += 3;
    }
    w->p[0] = '"';
    w->p[1 + o] = '"';
    w->p += o + 2;
}

static inline size_t field_slen(const nlog_field *f)
{
    return f->len == NLOG_LEN_NUL ? strlen(f->v.s) : f->len;
}

static inline int field_is_str(const nlog_field *f)
{
    return f->type == NLOG_VALUE_STRING && f->v.s != NULL;
}

/* Renders every value but a string into buf (NLOG__DOUBLE_MAX + 4 bytes). */
static size_t scalar_value(const nlog_field *f, char *buf)
{
    switch (f->type) {
    case NLOG_VALUE_BOOL:
        if (f->v.b) {
            memcpy(buf, "true", 4);
            return 4;
        }
        memcpy(buf, "false", 5);
        return 5;
    case NLOG_VALUE_INT: return nlog__fmt_i64(buf, f->v.i);
    case NLOG_VALUE_UINT: return nlog__fmt_u64(buf, f->v.u);
    case NLOG_VALUE_DOUBLE: return nlog__fmt_double(buf, f->v.d);
    case NLOG_VALUE_POINTER:
        if (f->v.p) {
            size_t n;
            memcpy(buf, "\"0x", 3);
            n = nlog__fmt_hex64(buf + 3, (uint64_t) (uintptr_t) f->v.p);
            buf[3 + n] = '"';
            return n + 4;
        }
        break;
    default: /* NULL, a NULL string, or a type we do not know */ break;
    }
    memcpy(buf, "null", 4);
    return 4;
}

static inline int field_member(const nlog_field *f, unsigned g)
{
    return f->group == g && f->key != NULL;
}

/* All group objects, unlimited (the optimistic pass). */
static void put_fields(jw *w, const nlog__record *r)
{
    unsigned present = 0;
    char num[NLOG__DOUBLE_MAX + 4];

    for (size_t i = 0; i < r->n_fields; i++) {
        if (r->fields[i].group < NGROUPS && r->fields[i].key)
            present |= 1u << r->fields[i].group;
    }
    for (unsigned g = 0; g < NGROUPS && !w->overflow; g++) {
        if (!(present & (1u << g)))
            continue;
        put(w, group_open[g], group_open_len[g]);
        int first = 1;
        for (size_t i = 0; i < r->n_fields; i++) {
            const nlog_field *f = &r->fields[i];
            if (!field_member(f, g))
                continue;
            if (!first)
                PUT_LIT(w, ",");
            first = 0;
            put_str(w, f->key, strlen(f->key));
            PUT_LIT(w, ":");
            if (field_is_str(f))
                put_str(w, f->v.s, field_slen(f));
            else if (w->holes)
                put_hole(w, (int) i);
            else
                put(w, num, scalar_value(f, num));
        }
        PUT_LIT(w, "}");
    }
}

/* The group objects within `budget` bytes: a field goes in whole while it
 * fits; a string value that does not is cut to fill what is left (if at
 * least MIN_CUT content bytes remain); anything else is left out. With
 * w == NULL only counts. Counting and writing take the same decisions,
 * since those depend only on the budget and the sizes. Returns the bytes
 * used and sets *trunc if a field was cut or left out. */
static size_t fields_budget(jw *w, const nlog__record *r, size_t budget, size_t ceil, int *trunc)
{
    size_t used = 0;
    char num[NLOG__DOUBLE_MAX + 4];

    for (unsigned g = 0; g < NGROUPS; g++) {
        int open = 0;
        for (size_t i = 0; i < r->n_fields; i++) {
            const nlog_field *f = &r->fields[i];
            if (!field_member(f, g))
                continue;
            size_t klen = strlen(f->key);
            size_t kc = esc_len(f->key, klen, ceil) + 3; /* "key": */
            int is_str = field_is_str(f);
            size_t slen = 0, vc, cut_b = 0, vn = 0;
            if (is_str) {
                slen = field_slen(f);
                vc = 2 + esc_len(f->v.s, slen, ceil);
            } else {
                vc = vn = scalar_value(f, num);
            }
            size_t head = open ? 1 : group_open_len[g] + 1; /* ',' or the opening and '}' */
            size_t left = budget - used;
            if (head + kc + vc > left) {
                *trunc = 1;
                if (!is_str || left < head + kc + 2 + MIN_CUT)
                    continue;
                cut_b = left - head - kc - 2;
                vc = 2 + esc_cut_len(f->v.s, slen, cut_b);
            }
            if (w) {
                if (open)
                    PUT_LIT(w, ",");
                else
                    put(w, group_open[g], group_open_len[g]);
                put_str(w, f->key, klen);
                PUT_LIT(w, ":");
                if (!is_str)
                    put(w, num, vn);
                else if (cut_b)
                    put_str_budget(w, f->v.s, slen, cut_b);
                else
                    put_str(w, f->v.s, slen);
            }
            open = 1;
            used += head + kc + vc;
        }
        if (open && w)
            PUT_LIT(w, "}");
    }
    return used;
}

/* Content budgets for the planned pass. */
typedef struct jplan {
    size_t cat_b, msg_b, mod_b, fn_b; /* bytes between the quotes */
    size_t fields_b;                  /* bytes for all group objects */
} jplan;

typedef struct jfixed {
    char ts[NLOG__RFC3339_LEN];
    const char *level; /* NULL: written as null */
    size_t level_len;
    char line[NLOG__I64_MAX_CHARS];
    size_t line_len;
    char pid[NLOG__I64_MAX_CHARS];
    size_t pid_len;
    char tid[NLOG__I64_MAX_CHARS];
    size_t tid_len;
} jfixed;

static void encode(jw *w, const nlog__record *r, const jfixed *fx, const jplan *pl, size_t cap)
{
    PUT_LIT(w, P_TS);
    if (w->holes)
        put_hole(w, NLOG__JSON_HOLE_TIME);
    else
        put(w, fx->ts, NLOG__RFC3339_LEN);
    PUT_LIT(w, P_LEVEL);
    if (fx->level)
        put_str(w, fx->level, fx->level_len);
    else
        PUT_LIT(w, "null");
    PUT_LIT(w, P_CATEGORY);
    if (pl)
        put_str_budget(w, r->category, strlen(r->category), pl->cat_b);
    else
        put_str(w, r->category, strlen(r->category));
    PUT_LIT(w, P_MESSAGE);
    if (pl)
        put_str_budget(w, r->message, r->message_len, pl->msg_b);
    else
        put_str(w, r->message, r->message_len);
    PUT_LIT(w, P_MODULE);
    if (pl)
        put_str_budget(w, r->logger, r->logger_len, pl->mod_b);
    else
        put_str(w, r->logger, r->logger_len);
    PUT_LIT(w, P_FUNCTION);
    if (!r->function)
        PUT_LIT(w, "null");
    else if (pl)
        put_str_budget(w, r->function, strlen(r->function), pl->fn_b);
    else
        put_str(w, r->function, strlen(r->function));
    PUT_LIT(w, P_LINE);
    put(w, fx->line, fx->line_len);
    if (pl) {
        int trunc = 0;
        (void) fields_budget(w, r, pl->fields_b, cap, &trunc);
    } else if (r->n_fields) {
        put_fields(w, r);
    }
    PUT_LIT(w, P_PID);
    put(w, fx->pid, fx->pid_len);
    PUT_LIT(w, P_TID);
    put(w, fx->tid, fx->tid_len);
    PUT_LIT(w, P_END);
}

/* Bytes of everything but the content of the four strings and the groups. */
static size_t fixed_len(const nlog__record *r, const jfixed *fx)
{
    return LIT_LEN(P_TS) + NLOG__RFC3339_LEN + LIT_LEN(P_LEVEL) +
           (fx->level ? fx->level_len + 2 : 4) + LIT_LEN(P_CATEGORY) + 2 + LIT_LEN(P_MESSAGE) + 2 +
           LIT_LEN(P_MODULE) + 2 + LIT_LEN(P_FUNCTION) + (r->function ? 2 : 4) + LIT_LEN(P_LINE) +
           fx->line_len + LIT_LEN(P_PID) + fx->pid_len + LIT_LEN(P_TID) + fx->tid_len +
           LIT_LEN(P_END);
}

static void make_plan(const nlog__record *r, const jfixed *fx, size_t cap, jplan *pl)
{
    size_t ceil = cap;
    size_t e_cat = esc_len(r->category, strlen(r->category), ceil);
    size_t e_msg = esc_len(r->message, r->message_len, ceil);
    size_t e_mod = esc_len(r->logger, r->logger_len, ceil);
    size_t e_fn = r->function ? esc_len(r->function, strlen(r->function), ceil) : 0;
    size_t fixed = fixed_len(r, fx);
    int trunc = 0;

    /* fixed <= 211 and 3 * SMALL_BUDGET = 384, so with cap >= 1024 at least
     * 429 bytes remain for the message and the fields. */
    pl->cat_b = NLOG__MIN(e_cat, SMALL_BUDGET);
    pl->mod_b = NLOG__MIN(e_mod, SMALL_BUDGET);
    pl->fn_b = NLOG__MIN(e_fn, SMALL_BUDGET);
    size_t rest = cap - fixed - pl->cat_b - pl->mod_b - pl->fn_b;

    size_t f_all = fields_budget(NULL, r, SIZE_MAX, ceil, &trunc);
    size_t msg0;
    if (e_msg <= rest && f_all <= rest - e_msg) {
        msg0 = e_msg;
    } else {
        msg0 = NLOG__MIN(e_msg, NLOG__MAX(rest > f_all ? rest - f_all : 0, rest / 2));
    }
    pl->fields_b = rest - msg0;
    trunc = 0;
    /* The writing pass gets the same budget, hence the same decisions. */
    size_t used = fields_budget(NULL, r, pl->fields_b, ceil, &trunc);
    pl->msg_b = NLOG__MIN(e_msg, rest - used);

    size_t left = rest - used - pl->msg_b;
    size_t add = NLOG__MIN(e_cat - pl->cat_b, left);
    pl->cat_b += add;
    left -= add;
    add = NLOG__MIN(e_mod - pl->mod_b, left);
    pl->mod_b += add;
    left -= add;
    add = NLOG__MIN(e_fn - pl->fn_b, left);
    pl->fn_b += add;
}

/* The fixed pieces of r; the timestamp only if `with_time`. */
static void fill_fixed(const nlog__record *r, jfixed *fx, int with_time)
{
    if (with_time)
        nlog__fmt_rfc3339(r->time_ns, fx->ts);
    fx->level = nlog_level_name(r->level);
    fx->level_len = fx->level ? strlen(fx->level) : 0;
    if (r->line) {
        fx->line_len = nlog__fmt_i64(fx->line, r->line);
    } else {
        memcpy(fx->line, "null", 4);
        fx->line_len = 4;
    }
    fx->pid_len = nlog__fmt_i64(fx->pid, r->pid);
    fx->tid_len = nlog__fmt_i64(fx->tid, r->tid);
}

size_t nlog__json_encode(const nlog__record *r, char *out, size_t cap, int *ret_truncated)
{
    jfixed fx;
    jw w;

    assert(r && out && ret_truncated && cap >= NLOG__RECORD_MIN_CAP);
    assert(r->category && (r->logger || !r->logger_len) && (r->message || !r->message_len));
    if (cap < NLOG__RECORD_MIN_CAP) {
        *ret_truncated = 1;
        return 0;
    }
    fill_fixed(r, &fx, 1);

    w.p = w.start = out;
    w.end = out + cap;
    w.overflow = 0;
    w.holes = NULL;
    encode(&w, r, &fx, NULL, cap);
    if (NLOG_LIKELY(!w.overflow)) {
        *ret_truncated = 0;
        return (size_t) (w.p - out);
    }

    /* Too big: plan the budgets, then write again. */
    jplan pl;
    make_plan(r, &fx, cap, &pl);
    w.p = out;
    w.end = out + cap;
    w.overflow = 0;
    encode(&w, r, &fx, &pl, cap);
    assert(!w.overflow);
    if (NLOG_UNLIKELY(w.overflow)) {
        /* Unreachable by construction; if the plan were ever wrong, still
         * hand back a valid record rather than a broken line. */
        jplan min = {3, 3, 3, 3, 0};
        w.p = out;
        w.end = out + cap;
        w.overflow = 0;
        encode(&w, r, &fx, &min, cap);
    }
    *ret_truncated = 1;
    return (size_t) (w.p - out);
}

size_t nlog__json_template(const nlog__record *r, char *out, size_t cap, nlog__json_hole *holes,
                           size_t max_holes, size_t *ret_n_holes)
{
    jfixed fx;
    fill_fixed(r, &fx, 0);
    jw w = {.p = out, .end = out + cap, .start = out, .holes = holes, .max_holes = max_holes};
    encode(&w, r, &fx, NULL, cap);
    if (w.overflow)
        return 0;
    *ret_n_holes = w.n_holes;
    return (size_t) (w.p - out);
}

/* memcpy for the template's chunks (tens to hundreds of bytes), inline:
 * whole 16-byte blocks and one overlapping last block; never writes past
 * d + n. */
static inline void copy_run(char *d, const char *s, size_t n)
{
#if defined(__SSE2__)
    if (n >= 16) {
        size_t i = 0;
        for (; i + 16 <= n; i += 16)
            _mm_storeu_si128((__m128i *) (void *) (d + i),
                             _mm_loadu_si128((const __m128i *) (const void *) (s + i)));
        if (i < n)
            _mm_storeu_si128((__m128i *) (void *) (d + n - 16),
                             _mm_loadu_si128((const __m128i *) (const void *) (s + n - 16)));
        return;
    }
    nlog__copy_small(d, (const unsigned char *) s, n);
#else
    memcpy(d, s, n);
#endif
}

size_t nlog__json_fill(const char *tpl, size_t tpl_len, const nlog__json_hole *holes,
                       size_t n_holes, const nlog__record *r, char *out)
{
    char *o = out;
    size_t from = 0;
    for (size_t i = 0; i < n_holes; i++) {
        size_t n = holes[i].offset - from;
        copy_run(o, tpl + from, n);
        o += n;
        from = holes[i].offset;
        if (holes[i].what == NLOG__JSON_HOLE_TIME) {
            nlog__fmt_rfc3339(r->time_ns, o);
            o += NLOG__RFC3339_LEN;
        } else {
            o += scalar_value(&r->fields[holes[i].what], o);
        }
    }
    copy_run(o, tpl + from, tpl_len - from);
    return (size_t) (o - out) + tpl_len - from;
}
