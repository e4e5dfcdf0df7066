/* text.c: encodes one record as one console line.
 *
 *   [date time] [LEVEL   ] logger (file.c:line function): message category=x key=value
 *
 * Same two-pass shape as json.c: an optimistic pass writes straight into the
 * buffer; only if it does not fit does a planning pass measure every piece
 * and give out exact byte budgets for a second, cutting pass.
 *
 * Invariants:
 *  - Output never exceeds cap and is exactly one line ending in '\n'.
 *  - No byte of application data reaches the terminal as a control: C0, DEL,
 *    C1 (U+0080..U+009F), bidi overrides/isolates and U+2028/U+2029 are
 *    written as visible escapes, ill-formed UTF-8 as U+FFFD. So the output
 *    is well-formed UTF-8 whose only ESC bytes are our SGR sequences
 *    (colours on) around the level tag, which sits in the fixed part of the
 *    line and so is never cut: the reset is never lost.
 *  - *ret_truncated == 1 exactly when the output differs from what an
 *    unlimited buffer would have received.
 * Budget order when cutting (as in json.c): the fixed parts; logger, file
 * and function up to SMALL_BUDGET bytes each; the message gets what the
 * fields do not need but at least half of what remains; fields whole in
 * order while they fit, then one string value cut to fill the rest; unused
 * bytes go back to logger, file and function.
 * Tested by: tests/unit/format/test_text_format.c, test_text_truncate.c,
 *            tests/fuzz/fuzz_json_encode.c */
#include "format/text.h"

#include <assert.h>
#include <string.h>

#include "format/numfmt.h"
#include "format/scan.h"
#include "format/timefmt.h"
#include "format/utf8.h"
#include "internal/compiler.h"

#define SMALL_BUDGET 128 /* guaranteed content bytes for logger, file, function */
#define MIN_CUT      8   /* least content worth keeping of a cut field value */
#define TAG_LEN      10  /* "[WARNING ]" */
#define LIT_LEN(lit) (sizeof(lit) - 1)

static const char hexd[16] = "0123456789abcdef";

/* Level tags, padded to 8 inside the brackets, and their SGR colours. */
static const char tags[NLOG_LEVEL_COUNT + 1][TAG_LEN + 1] = {
    "[TRACE   ]", "[DEBUG   ]", "[INFO    ]", "[WARNING ]", "[ERROR   ]",
    "[CRITICAL]", "[SECURITY]", "[AUDIT   ]", "[UNKNOWN ]"};
static const char *const sgr[NLOG_LEVEL_COUNT + 1] = {"\x1b[90m",   "\x1b[36m",   "\x1b[32m",
                                                      "\x1b[33m",   "\x1b[31m",   "\x1b[1;37;41m",
                                                      "\x1b[1;35m", "\x1b[1;34m", ""};
#define SGR_RESET "\x1b[0m"

/* Code points shown as \uXXXX: C1 controls, line/paragraph separators and
 * the bidi embeddings, overrides and isolates. */
static inline int cp_hidden(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x2028 && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

/* The neutralising escaper; `measure` and `quoted` are constants at every
 * call site. Quoted mode also escapes '"' and '\\'. Units are written whole
 * or not at all. */
static inline __attribute__((always_inline)) size_t tesc_core(char *dst, size_t room,
                                                              const unsigned char *s, size_t len,
                                                              size_t *ret_used, const int measure,
                                                              const int quoted)
{
    size_t i = 0, o = 0;

    while (i < len) {
        size_t lim = NLOG__MIN(len - i, room - o);
        size_t run;
        if (measure)
            run = quoted ? nlog__scan_json(s + i, lim) : nlog__scan_text(s + i, lim);
        else
            run = quoted ? nlog__copy_json(dst + o, s + i, lim)
                         : nlog__copy_text(dst + o, s + i, lim);
        i += run;
        o += run;
        if (run == lim)
            break;

        unsigned c = s[i];
        char esc[6];
        const char *src = esc;
        size_t in = 1, un = 2;
        esc[0] = '\\';
        if (c < 0x80) {
            switch (c) {
            case '"': esc[1] = '"'; break;
            case '\\': esc[1] = '\\'; break;
            case '\n': esc[1] = 'n'; break;
            case '\r': esc[1] = 'r'; break;
            case '\t': esc[1] = 't'; break;
            default: /* other C0 and DEL */
                esc[1] = 'x';
                esc[2] = hexd[c >> 4];
                esc[3] = hexd[c & 15];
                un = 4;
                break;
            }
        } else {
            uint32_t cp;
            in = nlog__utf8_next(s + i, len - i, &cp);
            if (cp == NLOG__UTF8_BAD) {
                src = NLOG__UTF8_REPLACEMENT;
                un = 3;
            } else if (cp_hidden(cp)) {
                esc[1] = 'u';
                esc[2] = hexd[(cp >> 12) & 15];
                esc[3] = hexd[(cp >> 8) & 15];
                esc[4] = hexd[(cp >> 4) & 15];
                esc[5] = hexd[cp & 15];
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

static size_t tesc(char *dst, size_t room, const char *s, size_t len, size_t *ret_used, int quoted)
{
    const unsigned char *u = (const unsigned char *) s;
    return quoted ? tesc_core(dst, room, u, len, ret_used, 0, 1)
                  : tesc_core(dst, room, u, len, ret_used, 0, 0);
}

/* Escaped length of s, or ceil + 1 if longer than ceil. */
static size_t tesc_len(const char *s, size_t len, int quoted, size_t ceil)
{
    const unsigned char *u = (const unsigned char *) s;
    size_t used, o;
    o = quoted ? tesc_core(NULL, ceil, u, len, &used, 1, 1)
               : tesc_core(NULL, ceil, u, len, &used, 1, 0);
    return used == len ? o : ceil + 1;
}

/* Content length of s cut to budget b (b >= 3, s longer than b). */
static size_t tesc_cut_len(const char *s, size_t len, int quoted, size_t b)
{
    const unsigned char *u = (const unsigned char *) s;
    size_t used;
    return (quoted ? tesc_core(NULL, b - 3, u, len, &used, 1, 1)
                   : tesc_core(NULL, b - 3, u, len, &used, 1, 0)) +
           3;
}

typedef struct tw {
    char *p;      /* next byte to write */
    char *end;    /* one past the last usable byte */
    int overflow; /* a piece did not fit; nothing after it was written */
} tw;

static void tw_fail(tw *w)
{
    w->overflow = 1;
    w->end = w->p;
}

static inline void put(tw *w, const char *s, size_t n)
{
    if (NLOG_UNLIKELY((size_t) (w->end - w->p) < n)) {
        tw_fail(w);
        return;
    }
    memcpy(w->p, s, n);
    w->p += n;
}

#define PUT_LIT(w, lit) put((w), "" lit, LIT_LEN(lit))

/* s neutralised, with quotes around it if `quoted`; whole or overflow. */
static void put_str(tw *w, const char *s, size_t len, int quoted)
{
    size_t room = (size_t) (w->end - w->p), q = quoted ? 2 : 0, used, o;

    if (room < q) {
        tw_fail(w);
        return;
    }
    o = tesc(w->p + (q >> 1), room - q, s, len, &used, quoted);
    if (used < len) {
        tw_fail(w);
        return;
    }
    if (quoted) {
        w->p[0] = '"';
        w->p[1 + o] = '"';
    }
    w->p += o + q;
}

/* As put_str() with at most b content bytes, cut with U+2026 if longer
 * (b >= 3 whenever cutting is needed; the plan guarantees it). */
static void put_str_budget(tw *w, const char *s, size_t len, int quoted, size_t b)
{
    size_t room = (size_t) (w->end - w->p), q = quoted ? 2 : 0, used, o;
    char *d = w->p + (q >> 1);

    if (room < q) {
        tw_fail(w);
        return;
    }
    /* A cut value may come out a few bytes under its budget (whole units
     * only), and the plan hands those bytes to earlier strings; clamping
     * to the room cannot change the cut, which already fits. */
    b = NLOG__MIN(b, room - q);
    o = tesc(d, b, s, len, &used, quoted);
    if (used < len) {
        assert(b >= 3);
        o = b >= 3 ? tesc(d, b - 3, s, len, &used, quoted) : 0;
        memcpy(d + o, NLOG__UTF8_ELLIPSIS, 3);
        o += 3;
    }
    if (quoted) {
        w->p[0] = '"';
        w->p[1 + o] = '"';
    }
    w->p += o + q;
}

static inline size_t field_slen(const nlog_field *f)
{
    return f->len == NLOG_LEN_NUL ? strlen(f->v.s) : f->len;
}

/* A value is quoted when empty or when it holds ' ', '=' or '"'. */
static inline int needs_quotes(const char *s, size_t len)
{
    return len == 0 || nlog__scan_quote((const unsigned char *) s, len) < len;
}

/* Every value but a string, bare (buf: NLOG__DOUBLE_MAX + 4 bytes). */
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
            memcpy(buf, "0x", 2);
            return 2 + nlog__fmt_hex64(buf + 2, (uint64_t) (uintptr_t) f->v.p);
        }
        break;
    default: break;
    }
    memcpy(buf, "null", 4);
    return 4;
}

/* One item of the field list: the category pseudo-field or a real field. */
typedef struct titem {
    const char *key;
    size_t klen;
    const char *s; /* string value, or NULL for a scalar */
    size_t slen;
    char num[NLOG__DOUBLE_MAX + 4];
    size_t nlen;
} titem;

/* Fills *it from item k (0 = category when shown, then the fields);
 * returns 0 for an item that is not shown. */
static int item_at(const nlog__record *r, int show_cat, size_t k, titem *it)
{
    if (show_cat) {
        if (k == 0) {
            it->key = "category";
            it->klen = 8;
            it->s = r->category;
            it->slen = strlen(r->category);
            return 1;
        }
        k--;
    }
    const nlog_field *f = &r->fields[k];
    if (f->group > NLOG_GROUP_PERFORMANCE || !f->key)
        return 0;
    it->key = f->key;
    it->klen = strlen(f->key);
    if (f->type == NLOG_VALUE_STRING && f->v.s) {
        it->s = f->v.s;
        it->slen = field_slen(f);
    } else {
        it->s = NULL;
        it->nlen = scalar_value(f, it->num);
    }
    return 1;
}

static inline int show_category(const nlog__record *r)
{
    return strcmp(r->category, "application") != 0;
}

/* All fields, unlimited (the optimistic pass). */
static void put_fields(tw *w, const nlog__record *r)
{
    int show_cat = show_category(r);
    size_t n = r->n_fields + (size_t) show_cat;
    titem it;

    for (size_t k = 0; k < n && !w->overflow; k++) {
        if (!item_at(r, show_cat, k, &it))
            continue;
        PUT_LIT(w, " ");
        put_str(w, it.key, it.klen, 0);
        PUT_LIT(w, "=");
        if (it.s)
            put_str(w, it.s, it.slen, needs_quotes(it.s, it.slen));
        else
            put(w, it.num, it.nlen);
    }
}

/* The fields within `budget` bytes, with the same rules as json.c; w ==
 * NULL only counts. Returns the bytes used; sets *trunc if a field was cut
 * or left out. */
static size_t fields_budget(tw *w, const nlog__record *r, size_t budget, size_t ceil, int *trunc)
{
    int show_cat = show_category(r);
    size_t n = r->n_fields + (size_t) show_cat, used = 0;
    titem it;

    for (size_t k = 0; k < n; k++) {
        if (!item_at(r, show_cat, k, &it))
            continue;
        size_t kc = 2 + tesc_len(it.key, it.klen, 0, ceil); /* " key=" */
        int quoted = it.s ? needs_quotes(it.s, it.slen) : 0;
        size_t q = quoted ? 2 : 0, vc, cut_b = 0;
        vc = it.s ? q + tesc_len(it.s, it.slen, quoted, ceil) : it.nlen;
        size_t left = budget - used;
        if (kc + vc > left) {
            *trunc = 1;
            if (!it.s || left < kc + q + MIN_CUT)
                continue;
            cut_b = left - kc - q;
            vc = q + tesc_cut_len(it.s, it.slen, quoted, cut_b);
        }
        if (w) {
            PUT_LIT(w, " ");
            put_str(w, it.key, it.klen, 0);
            PUT_LIT(w, "=");
            if (!it.s)
                put(w, it.num, it.nlen);
            else if (cut_b)
                put_str_budget(w, it.s, it.slen, quoted, cut_b);
            else
                put_str(w, it.s, it.slen, quoted);
        }
        used += kc + vc;
    }
    return used;
}

typedef struct tplan {
    size_t logger_b, file_b, fn_b, msg_b; /* content bytes */
    size_t fields_b;                      /* bytes for all " key=value" items */
} tplan;

typedef struct tfixed {
    char head[1 + NLOG__DATETIME_LEN + 2]; /* "[date time] " */
    int lvl;                               /* index into tags/sgr */
    int colors;
    int fields;
    int caller;       /* caller part shown (option on, and file or function known) */
    const char *file; /* basename of r->file, or NULL */
    size_t file_len;
    char line[NLOG__I64_MAX_CHARS];
    size_t line_len; /* 0: no ":line" */
} tfixed;

static void encode(tw *w, const nlog__record *r, const tfixed *fx, const tplan *pl, size_t cap)
{
    put(w, fx->head, sizeof fx->head);
    if (fx->colors) {
        put(w, sgr[fx->lvl], strlen(sgr[fx->lvl]));
        put(w, tags[fx->lvl], TAG_LEN);
        if (sgr[fx->lvl][0])
            PUT_LIT(w, SGR_RESET);
    } else {
        put(w, tags[fx->lvl], TAG_LEN);
    }
    PUT_LIT(w, " ");
    if (pl)
        put_str_budget(w, r->logger, r->logger_len, 0, pl->logger_b);
    else
        put_str(w, r->logger, r->logger_len, 0);
    if (fx->caller) {
        PUT_LIT(w, " (");
        if (fx->file) {
            if (pl)
                put_str_budget(w, fx->file, fx->file_len, 0, pl->file_b);
            else
                put_str(w, fx->file, fx->file_len, 0);
            if (fx->line_len) {
                PUT_LIT(w, ":");
                put(w, fx->line, fx->line_len);
            }
        }
        if (r->function) {
            if (fx->file)
                PUT_LIT(w, " ");
            if (pl)
                put_str_budget(w, r->function, strlen(r->function), 0, pl->fn_b);
            else
                put_str(w, r->function, strlen(r->function), 0);
        }
        PUT_LIT(w, ")");
    }
    PUT_LIT(w, ": ");
    if (pl)
        put_str_budget(w, r->message, r->message_len, 0, pl->msg_b);
    else
        put_str(w, r->message, r->message_len, 0);
    if (fx->fields) {
        if (pl) {
            int trunc = 0;
            (void) fields_budget(w, r, pl->fields_b, cap, &trunc);
        } else {
            put_fields(w, r);
        }
    }
    PUT_LIT(w, "\n");
}

/* Bytes of everything but logger, file, function, message and fields. */
static size_t fixed_len(const nlog__record *r, const tfixed *fx)
{
    size_t n = sizeof fx->head + TAG_LEN + 1 + 2 + 1; /* head, tag, ' ', ": ", '\n' */
    if (fx->colors && sgr[fx->lvl][0])
        n += strlen(sgr[fx->lvl]) + LIT_LEN(SGR_RESET);
    if (fx->caller) {
        n += 3; /* " (" ")" */
        if (fx->file && fx->line_len)
            n += 1 + fx->line_len;
        if (fx->file && r->function)
            n += 1;
    }
    return n;
}

static void make_plan(const nlog__record *r, const tfixed *fx, size_t cap, tplan *pl)
{
    size_t ceil = cap;
    size_t e_log = tesc_len(r->logger, r->logger_len, 0, ceil);
    size_t e_file = fx->caller && fx->file ? tesc_len(fx->file, fx->file_len, 0, ceil) : 0;
    size_t e_fn =
        fx->caller && r->function ? tesc_len(r->function, strlen(r->function), 0, ceil) : 0;
    size_t e_msg = tesc_len(r->message, r->message_len, 0, ceil);
    int trunc = 0;

    /* fixed <= 71 and 3 * SMALL_BUDGET = 384: with cap >= 1024 at least 569
     * bytes remain for the message and the fields. */
    pl->logger_b = NLOG__MIN(e_log, SMALL_BUDGET);
    pl->file_b = NLOG__MIN(e_file, SMALL_BUDGET);
    pl->fn_b = NLOG__MIN(e_fn, SMALL_BUDGET);
    size_t rest = cap - fixed_len(r, fx) - pl->logger_b - pl->file_b - pl->fn_b;

    size_t f_all = fx->fields ? fields_budget(NULL, r, SIZE_MAX, ceil, &trunc) : 0;
    size_t msg0;
    if (e_msg <= rest && f_all <= rest - e_msg)
        msg0 = e_msg;
    else
        msg0 = NLOG__MIN(e_msg, NLOG__MAX(rest > f_all ? rest - f_all : 0, rest / 2));
    pl->fields_b = rest - msg0;
    size_t used = fx->fields ? fields_budget(NULL, r, pl->fields_b, ceil, &trunc) : 0;
    pl->msg_b = NLOG__MIN(e_msg, rest - used);

    size_t left = rest - used - pl->msg_b;
    size_t add = NLOG__MIN(e_log - pl->logger_b, left);
    pl->logger_b += add;
    left -= add;
    add = NLOG__MIN(e_file - pl->file_b, left);
    pl->file_b += add;
    left -= add;
    add = NLOG__MIN(e_fn - pl->fn_b, left);
    pl->fn_b += add;
}

size_t nlog__text_encode(const nlog__record *r, const nlog__text_opts *o, char *out, size_t cap,
                         int *ret_truncated)
{
    static const nlog__text_opts none = {0, 0, 0, 0};
    tfixed fx;
    tw w;

    assert(r && out && ret_truncated && cap >= NLOG__RECORD_MIN_CAP);
    assert(r->category && (r->logger || !r->logger_len) && (r->message || !r->message_len));
    if (cap < NLOG__RECORD_MIN_CAP) {
        *ret_truncated = 1;
        return 0;
    }
    if (!o)
        o = &none;

    fx.head[0] = '[';
    if (o->utc)
        nlog__fmt_utc(r->time_ns, fx.head + 1);
    else
        nlog__fmt_local(r->time_ns, fx.head + 1);
    fx.head[1 + NLOG__DATETIME_LEN] = ']';
    fx.head[2 + NLOG__DATETIME_LEN] = ' ';
    int li = nlog_level_index(r->level);
    fx.lvl = li < 0 ? NLOG_LEVEL_COUNT : li;
    fx.colors = o->colors != 0;
    fx.fields = o->fields != 0;
    fx.caller = o->caller && (r->file || r->function);
    fx.file = NULL;
    fx.file_len = 0;
    fx.line_len = 0;
    if (fx.caller && r->file) {
        const char *slash = strrchr(r->file, '/');
        fx.file = slash ? slash + 1 : r->file;
        fx.file_len = strlen(fx.file);
        if (r->line)
            fx.line_len = nlog__fmt_i64(fx.line, r->line);
    }

    w.p = out;
    w.end = out + cap;
    w.overflow = 0;
    encode(&w, r, &fx, NULL, cap);
    if (NLOG_LIKELY(!w.overflow)) {
        *ret_truncated = 0;
        return (size_t) (w.p - out);
    }

    tplan pl;
    make_plan(r, &fx, cap, &pl);
    w.p = out;
    w.end = out + cap;
    w.overflow = 0;
    encode(&w, r, &fx, &pl, cap);
    assert(!w.overflow);
    if (NLOG_UNLIKELY(w.overflow)) {
        tplan min = {3, 3, 3, 3, 0}; /* unreachable by construction */
        w.p = out;
        w.end = out + cap;
        w.overflow = 0;
        encode(&w, r, &fx, &min, cap);
    }
    *ret_truncated = 1;
    return (size_t) (w.p - out);
}
