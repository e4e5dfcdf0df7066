/* fuzz_json_encode.c: libFuzzer target for the record encoders
 * (src/format/json.c, text.c).
 *
 * The input is read as a record description (layout below); every string
 * the record borrows by length points straight into the input, so reads
 * past a length are caught by ASan (the replay driver passes an exact-size
 * copy). Any broken guarantee calls abort():
 *  - JSON: output within cap, exactly one line ending in "}\n", a strict
 *    json-c parse with UTF-8 validation consumes all of it, the truncated
 *    flag says exactly whether the unlimited encoding was longer than cap,
 *    and an untruncated output equals the unlimited one;
 *  - text: within cap, exactly one '\n' (at the end), well-formed UTF-8, no
 *    control, C1 or bidi character except our own colour sequences, no ESC
 *    at all with colours off, same truncated-flag rule.
 *
 * Layout (every read past the end yields zeros / empty strings):
 *   u8 flags        bit0 colors, bit1 utc, bit2 fields, bit3 caller,
 *                   bit4 function NULL, bit5 file NULL
 *   u16 cap         cap = 1024 + cap % 8192
 *   u64 time_ns, u8 level (index % 10; 8 and 9 are invalid levels),
 *   u32 line, u64 pid, u64 tid
 *   u8 n + n bytes  category (NUL-terminated copy)
 *   u16 n + n bytes logger (by length, n % 1024)
 *   u16 n + n bytes message (by length)
 *   u8 n + n bytes  function, u8 n + n bytes file (NUL-terminated copies)
 *   u8 count        fields (count % 17), each:
 *     u8 type (% 8; 7 is unknown), u8 group (% 5), u8 n + n bytes key,
 *     value: bool u8 | int/uint/double/pointer u64 |
 *            string: u8 mode (odd: NUL-terminated copy) + u16 n + n bytes */
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/json.h"
#include "format/json_cache.h"
#include "format/text.h"
#include "format/utf8.h"

#define MAX_FIELDS 16
#define FULLCAP    (1u << 22)

typedef struct rd {
    const uint8_t *p;
    size_t n;
} rd;

static uint64_t take_uint(rd *r, size_t bytes)
{
    uint64_t v = 0;
    for (size_t i = 0; i < bytes; i++) {
        v |= (uint64_t) (r->n ? *r->p : 0) << (8 * i);
        if (r->n) {
            r->p++;
            r->n--;
        }
    }
    return v;
}

/* A pointer to up to n bytes of input; *got is how many there were. */
static const char *take_bytes(rd *r, size_t n, size_t *got)
{
    const char *s = (const char *) r->p;
    if (n > r->n)
        n = r->n;
    r->p += n;
    r->n -= n;
    *got = n;
    return s;
}

static void take_cstr(rd *r, size_t lenbytes, size_t max, char *dst)
{
    size_t got, n = (size_t) take_uint(r, lenbytes) % (max + 1);
    const char *s = take_bytes(r, n, &got);
    memcpy(dst, s, got);
    dst[got] = '\0';
}

static void check(int ok)
{
    if (!ok)
        abort();
}

static int json_ok(const char *buf, size_t n)
{
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return 0;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *o = json_tokener_parse_ex(tok, buf, (int) n);
    int ok = o && json_tokener_get_error(tok) == json_tokener_success &&
             (size_t) json_tokener_get_parse_end(tok) == n &&
             json_object_is_type(o, json_type_object);
    json_object_put(o);
    json_tokener_free(tok);
    return ok;
}

static int text_safe(const char *line, size_t n, int colors)
{
    const unsigned char *u = (const unsigned char *) line;
    size_t esc = 0;
    if (n == 0 || line[n - 1] != '\n' || memchr(line, '\n', n - 1) || !nlog__utf8_valid(line, n))
        return 0;
    for (size_t i = 0; i < n - 1;) {
        uint32_t cp;
        size_t k = nlog__utf8_next(u + i, n - i, &cp);
        if (cp == 0x1b) {
            /* Only ours: an SGR right after "[date time] ", or the reset
             * right after the 10-byte level tag. */
            if (!colors)
                return 0;
            esc++;
            const char *end = memchr(line + i, 'm', n - i);
            if (!end || (i != 22 && (n - i < 4 || memcmp(line + i, "\x1b[0m", 4) != 0)) ||
                i > 22 + 11 + 10)
                return 0;
            i = (size_t) (end - line) + 1;
            continue;
        }
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x2028 && cp <= 0x202E) ||
            (cp >= 0x2066 && cp <= 0x2069))
            return 0;
        i += k;
    }
    return esc == 0 || esc == 2;
}

static char full[FULLCAP];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rd in = {data, size};
    char category[256], function[256], file[256];
    char keys[MAX_FIELDS][256];
    static char cstrs[MAX_FIELDS][65536];
    nlog_field fields[MAX_FIELDS];
    nlog__record r;
    size_t got;

    if (size > (1u << 19))
        return 0; /* keeps the unlimited encodings within FULLCAP */
    unsigned flags = (unsigned) take_uint(&in, 1);
    size_t cap = NLOG__RECORD_MIN_CAP + (size_t) take_uint(&in, 2) % 8192;
    memset(&r, 0, sizeof r);
    r.time_ns = (int64_t) take_uint(&in, 8);
    int li = (int) (take_uint(&in, 1) % 10);
    r.level = li < 8 ? nlog_level_from_index(li) : (nlog_level) (100 + li);
    r.line = (int) (int32_t) (uint32_t) take_uint(&in, 4);
    r.pid = (int64_t) take_uint(&in, 8);
    r.tid = (int64_t) take_uint(&in, 8);
    take_cstr(&in, 1, 255, category);
    r.category = category;
    r.logger = take_bytes(&in, (size_t) take_uint(&in, 2) % 1024, &got);
    r.logger_len = got;
    r.message = take_bytes(&in, (size_t) take_uint(&in, 2), &got);
    r.message_len = got;
    take_cstr(&in, 1, 255, function);
    take_cstr(&in, 1, 255, file);
    r.function = (flags & 16) ? NULL : function;
    r.file = (flags & 32) ? NULL : file;

    size_t nf = (size_t) take_uint(&in, 1) % (MAX_FIELDS + 1);
    for (size_t i = 0; i < nf; i++) {
        nlog_field *f = &fields[i];
        memset(f, 0, sizeof *f);
        f->type = (uint8_t) (take_uint(&in, 1) % 8);
        f->group = (uint8_t) (take_uint(&in, 1) % 5);
        take_cstr(&in, 1, 255, keys[i]);
        f->key = keys[i];
        switch (f->type) {
        case NLOG_VALUE_BOOL: f->v.b = take_uint(&in, 1) & 1; break;
        case NLOG_VALUE_INT: f->v.i = (int64_t) take_uint(&in, 8); break;
        case NLOG_VALUE_UINT: f->v.u = take_uint(&in, 8); break;
        case NLOG_VALUE_DOUBLE: {
            uint64_t bits = take_uint(&in, 8);
            memcpy(&f->v.d, &bits, sizeof f->v.d);
            break;
        }
        case NLOG_VALUE_POINTER: f->v.p = (const void *) (uintptr_t) take_uint(&in, 8); break;
        case NLOG_VALUE_STRING: {
            unsigned mode = (unsigned) take_uint(&in, 1);
            const char *s = take_bytes(&in, (size_t) take_uint(&in, 2), &got);
            if (mode & 1) {
                memcpy(cstrs[i], s, got);
                cstrs[i][got] = '\0';
                f->v.s = cstrs[i];
                f->len = NLOG_LEN_NUL;
            } else {
                f->v.s = s;
                f->len = (uint32_t) got;
            }
            break;
        }
        default: break;
        }
    }
    r.fields = fields;
    r.n_fields = nf;

    /* JSON. */
    int trunc, full_trunc;
    size_t full_n = nlog__json_encode(&r, full, sizeof full, &full_trunc);
    check(!full_trunc && full_n >= 2 && full_n <= sizeof full);
    check(json_ok(full, full_n - 1));
    char *out = malloc(cap);
    check(out != NULL);
    size_t n = nlog__json_encode(&r, out, cap, &trunc);
    check(n >= 2 && n <= cap);
    check(memcmp(out + n - 2, "}\n", 2) == 0 && memchr(out, '\n', n - 1) == NULL);
    check(json_ok(out, n - 1));
    check(trunc == (full_n > cap));
    check(trunc || (n == full_n && memcmp(out, full, n) == 0));

    /* Through call-site templates: the same bytes, first (template built)
     * and second time (template filled with the same record). */
    nlog__json_cache *cache = nlog__json_cache_create();
    check(cache != NULL);
    char *viac = malloc(cap);
    check(viac != NULL);
    r.flags = NLOG__REC_STATIC;
    for (int pass = 0; pass < 2; pass++) {
        int ctrunc;
        size_t cn = nlog__json_encode_cached(cache, &r, viac, cap, &ctrunc);
        check(cn == n && ctrunc == trunc && memcmp(viac, out, n) == 0);
    }
    r.flags = 0;
    free(viac);
    nlog__json_cache_destroy(cache);

    /* Text. */
    nlog__text_opts o = {.colors = flags & 1,
                         .utc = (flags >> 1) & 1,
                         .fields = (flags >> 2) & 1,
                         .caller = (flags >> 3) & 1};
    full_n = nlog__text_encode(&r, &o, full, sizeof full, &full_trunc);
    check(!full_trunc && full_n <= sizeof full);
    check(text_safe(full, full_n, o.colors));
    n = nlog__text_encode(&r, &o, out, cap, &trunc);
    check(n >= 1 && n <= cap);
    check(text_safe(out, n, o.colors));
    check(o.colors || memchr(out, 0x1b, n) == NULL);
    check(trunc == (full_n > cap));
    check(trunc || (n == full_n && memcmp(out, full, n) == 0));

    free(out);
    return 0;
}
