/* test_json_truncate.c: the cap guarantees of the JSON encoder
 * (src/format/json.c). For many records and every cap in a range: the line
 * fits, is valid JSON ending in "}\n", the truncated flag is set exactly
 * when the full line would not fit, an untruncated line is byte-identical
 * to the full one, and a truncated one holds only members of the full one,
 * with strings either whole or cut (prefix + U+2026). */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "format/json.h"

#define NS       INT64_C(1000000000)
#define BIGCAP   (1u << 22)
#define ELLIPSIS "\xE2\x80\xA6"

static char *fullbuf;

static int setup(void **state)
{
    (void) state;
    fullbuf = malloc(BIGCAP);
    return fullbuf ? 0 : -1;
}

static int teardown(void **state)
{
    (void) state;
    free(fullbuf);
    return 0;
}

static nlog__record base_record(void)
{
    nlog__record r = {.time_ns = 1705314645 * NS + 123456789,
                      .level = NLOG_LEVEL_CRITICAL,
                      .category = "performance",
                      .logger = "auth_service",
                      .logger_len = 12,
                      .message = "m",
                      .message_len = 1,
                      .file = "a.c",
                      .function = "authenticate_user",
                      .line = 2147483647,
                      .pid = INT64_MIN,
                      .tid = INT64_MIN};
    return r;
}

static json_object *parse_line(char *buf, size_t n)
{
    char *copy = malloc(n);
    memcpy(copy, buf, n - 1);
    copy[n - 1] = '\0';
    json_object *o = tu_parse_json(copy);
    free(copy);
    return o;
}

static int is_cut_of(json_object *cut, json_object *whole)
{
    size_t cn = (size_t) json_object_get_string_len(cut),
           wn = (size_t) json_object_get_string_len(whole);
    const char *c = json_object_get_string(cut), *w = json_object_get_string(whole);
    if (cn == wn && memcmp(c, w, cn) == 0)
        return 1;
    return cn >= 3 && cn - 3 < wn && memcmp(c + cn - 3, ELLIPSIS, 3) == 0 &&
           memcmp(c, w, cn - 3) == 0;
}

/* Every member of `part` is in `whole` in the same order; equal, or a cut
 * string; objects recursively. */
static void check_subset(json_object *part, json_object *whole, const char *where)
{
    struct json_object_iterator pi = json_object_iter_begin(part), pe = json_object_iter_end(part);
    struct json_object_iterator wi = json_object_iter_begin(whole),
                                we = json_object_iter_end(whole);
    for (; !json_object_iter_equal(&pi, &pe); json_object_iter_next(&pi)) {
        const char *k = json_object_iter_peek_name(&pi);
        while (!json_object_iter_equal(&wi, &we) && strcmp(json_object_iter_peek_name(&wi), k) != 0)
            json_object_iter_next(&wi);
        if (json_object_iter_equal(&wi, &we))
            fail_msg("%s: member '%s' not in the full record (or out of order)", where, k);
        json_object *pv = json_object_iter_peek_value(&pi), *wv = json_object_iter_peek_value(&wi);
        if (json_object_is_type(pv, json_type_object)) {
            assert_true(json_object_is_type(wv, json_type_object));
            assert_true(json_object_object_length(pv) > 0); /* empty groups are left out */
            check_subset(pv, wv, k);
        } else if (json_object_is_type(pv, json_type_string)) {
            if (!json_object_is_type(wv, json_type_string) || !is_cut_of(pv, wv))
                fail_msg("%s: '%s' is neither whole nor a cut of the full value", where, k);
        } else if (!json_object_equal(pv, wv)) {
            fail_msg("%s: '%s' differs from the full value", where, k);
        }
        json_object_iter_next(&wi);
    }
}

/* Encodes r at cap into an exact-size heap buffer and checks everything.
 * Returns the bytes written. */
static size_t check_cap(const nlog__record *r, size_t cap, const char *full, size_t full_n,
                        json_object *fullobj)
{
    char *out = malloc(cap);
    int trunc = -1;
    size_t n = nlog__json_encode(r, out, cap, &trunc);
    if (n > cap || n < 2)
        fail_msg("cap %zu: wrote %zu", cap, n);
    if (memcmp(out + n - 2, "}\n", 2) != 0 || memchr(out, '\n', n - 1))
        fail_msg("cap %zu: not exactly one line ending in }\\n", cap);
    if (trunc != (full_n > cap))
        fail_msg("cap %zu: truncated=%d but full line is %zu bytes", cap, trunc, full_n);
    if (!trunc) {
        assert_int_equal(n, full_n);
        assert_memory_equal(out, full, n);
    } else {
        json_object *o = parse_line(out, n);
        static const char *const always[] = {"timestamp", "level",      "category",
                                             "message",   "module",     "function",
                                             "line",      "process_id", "thread_id"};
        for (size_t i = 0; i < sizeof always / sizeof always[0]; i++) {
            if (!json_object_object_get_ex(o, always[i], NULL))
                fail_msg("cap %zu: '%s' missing", cap, always[i]);
        }
        check_subset(o, fullobj, "record");
        json_object_put(o);
    }
    free(out);
    return n;
}

/* Runs every cap in [lo, hi] plus a stride up to past the full size. */
static void sweep(const nlog__record *r, size_t lo, size_t hi, int expect_exact_fill)
{
    int trunc;
    size_t full_n = nlog__json_encode(r, fullbuf, BIGCAP, &trunc);
    assert_int_equal(trunc, 0);
    json_object *fullobj = parse_line(fullbuf, full_n);
    for (size_t cap = lo; cap <= hi; cap++) {
        size_t n = check_cap(r, cap, fullbuf, full_n, fullobj);
        if (expect_exact_fill && cap < full_n && n != cap)
            fail_msg("cap %zu: only %zu bytes used although only the message was cut", cap, n);
    }
    for (size_t cap = hi + 1; cap < full_n + 1000; cap += 997)
        (void) check_cap(r, cap, fullbuf, full_n, fullobj);
    json_object_put(fullobj);
}

static void test_long_ascii_message(void **state)
{
    (void) state;
    static char msg[20000];
    memset(msg, 'x', sizeof msg);
    nlog__record r = base_record();
    r.message = msg;
    r.message_len = sizeof msg;
    sweep(&r, NLOG__RECORD_MIN_CAP, 8192, 1); /* 1-byte units: the cap is filled exactly */
}

static void test_escape_heavy_message(void **state)
{
    (void) state;
    static char msg[3000];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (char) (i % 3 == 0 ? 0x01 : i % 3 == 1 ? '"' : 'a');
    nlog_field f[] = {NLOG_CTX("request_id", "req_123456"), NLOG_PERF("t", 0.045)};
    nlog__record r = base_record();
    r.message = msg;
    r.message_len = sizeof msg;
    r.fields = f;
    r.n_fields = 2;
    sweep(&r, NLOG__RECORD_MIN_CAP, 8192, 0);
}

static void test_multibyte_message(void **state)
{
    (void) state;
    static char msg[4000];
    static const char *const chars[] = {
        "\xE6\x97\xA5", "\xF0\x9F\x98\x80", "\xC3\xA9", "\xE2\x80\xA8", "\xFF", "a"};
    size_t n = 0;
    for (unsigned i = 0; n + 4 <= sizeof msg; i++) {
        const char *c = chars[(i * 7) % 6];
        memcpy(msg + n, c, strlen(c));
        n += strlen(c);
    }
    nlog__record r = base_record();
    r.message = msg;
    r.message_len = n;
    sweep(&r, NLOG__RECORD_MIN_CAP, 6000, 0);
}

static void test_many_fields(void **state)
{
    (void) state;
    nlog_field f[64];
    char keys[64][16];
    static char vals[64][100];
    for (int i = 0; i < 64; i++) {
        snprintf(keys[i], sizeof keys[i], "key_%d", i);
        memset(vals[i], 'a' + i % 26, sizeof vals[i] - 1);
        vals[i][sizeof vals[i] - 1] = '\0';
        switch (i % 5) {
        case 0: f[i] = nlog_field_str((unsigned) i % 3, keys[i], vals[i]); break;
        case 1: f[i] = nlog_field_int((unsigned) i % 3, keys[i], INT64_MIN + i); break;
        case 2: f[i] = nlog_field_double((unsigned) i % 3, keys[i], 1.0 / (i + 1)); break;
        case 3:
            f[i] = nlog_field_ptr((unsigned) i % 3, keys[i], (void *) (uintptr_t) (0x1000 * i + 1));
            break;
        default: f[i] = nlog_field_strn((unsigned) i % 3, keys[i], "x\ny\0z\xFF", 6); break;
        }
    }
    static char msg[1500];
    memset(msg, 'M', sizeof msg);
    nlog__record r = base_record();
    r.message = msg;
    r.message_len = sizeof msg;
    r.fields = f;
    r.n_fields = 64;
    sweep(&r, NLOG__RECORD_MIN_CAP, 8192, 0);
}

static void test_huge_value_and_key(void **state)
{
    (void) state;
    static char big[10000], bigkey[3000];
    memset(big, 'v', sizeof big - 1);
    memset(bigkey, 'k', sizeof bigkey - 1);
    nlog_field f[] = {NLOG_CTX("small", 1), NLOG_META("huge", (const char *) big),
                      NLOG_META(bigkey, 2), NLOG_PERF("after", 3.5)};
    nlog__record r = base_record();
    r.message = "short message";
    r.message_len = 13;
    r.fields = f;
    r.n_fields = 4;
    sweep(&r, NLOG__RECORD_MIN_CAP, 4000, 0);
}

static void test_huge_everything(void **state)
{
    (void) state;
    static char cat[5000], mod[5000], fn[5000], msg[5000], val[5000];
    memset(cat, 'c', sizeof cat - 1);
    memset(mod, 'd', sizeof mod);
    memset(fn, 'f', sizeof fn - 1);
    memset(msg, 'm', sizeof msg);
    memset(val, '\x1b', sizeof val - 1);
    nlog_field f[] = {NLOG_CTX("v", (const char *) val)};
    nlog__record r = base_record();
    r.category = cat;
    r.logger = mod;
    r.logger_len = sizeof mod;
    r.function = fn;
    r.message = msg;
    r.message_len = sizeof msg;
    r.fields = f;
    r.n_fields = 1;
    sweep(&r, NLOG__RECORD_MIN_CAP, 3000, 0);
    /* Without a message, the small strings grow into the room left. */
    r.message_len = 0;
    r.n_fields = 0;
    sweep(&r, NLOG__RECORD_MIN_CAP, 3000, 0);
}

/* The message keeps at least about half of the room when a field competes
 * for it, and the field is still there (cut). */
static void test_message_priority(void **state)
{
    (void) state;
    static char msg[10000], val[10000];
    memset(msg, 'm', sizeof msg);
    memset(val, 'v', sizeof val - 1);
    nlog_field f[] = {NLOG_CTX("payload", (const char *) val)};
    nlog__record r = base_record();
    r.message = msg;
    r.message_len = sizeof msg;
    r.fields = f;
    r.n_fields = 1;
    char *out = malloc(4096);
    int trunc;
    size_t n = nlog__json_encode(&r, out, 4096, &trunc);
    assert_int_equal(trunc, 1);
    assert_int_equal(n, 4096);
    json_object *o = parse_line(out, n);
    json_object *m, *ctx, *p;
    assert_true(json_object_object_get_ex(o, "message", &m));
    assert_true(json_object_object_get_ex(o, "context", &ctx));
    assert_true(json_object_object_get_ex(ctx, "payload", &p));
    size_t ml = (size_t) json_object_get_string_len(m), pl = (size_t) json_object_get_string_len(p);
    assert_true(ml >= 1500);
    assert_true(ml >= pl);
    assert_true(pl >= 1000);
    json_object_put(o);
    free(out);
}

static uint64_t rng = 0x5DEECE66DULL;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void fill(char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t x = rnd();
        s[i] = (x & 1) ? (char) ('a' + (x >> 8) % 26) : (char) (x >> 16);
    }
}

/* Random records at random caps. */
static void test_random(void **state)
{
    (void) state;
    static char pool[1 << 16];
    fill(pool, sizeof pool);
    for (int iter = 0; iter < 1500; iter++) {
        nlog_field f[12];
        char keys[12][40];
        size_t nf = rnd() % 12;
        for (size_t i = 0; i < nf; i++) {
            size_t kl = 2 + rnd() % 38;
            fill(keys[i], kl - 1);
            keys[i][0] = (char) ('A' + i); /* distinct within the record */
            keys[i][kl - 1] = '\0';
            unsigned g = (unsigned) (rnd() % 4);
            size_t vl = rnd() % (rnd() % 4 == 0 ? 6000 : 60);
            switch (rnd() % 6) {
            case 0: f[i] = nlog_field_int(g, keys[i], (int64_t) rnd()); break;
            case 1: f[i] = nlog_field_uint(g, keys[i], rnd()); break;
            case 2: f[i] = nlog_field_bool(g, keys[i], rnd() & 1); break;
            case 3: f[i] = nlog_field_double(g, keys[i], (double) (int64_t) rnd() / 1e6); break;
            default: f[i] = nlog_field_strn(g, keys[i], pool + rnd() % 1000, (uint32_t) vl); break;
            }
        }
        nlog__record r = base_record();
        r.message = pool + rnd() % 2000;
        r.message_len = rnd() % (rnd() % 2 ? 9000 : 300);
        r.logger = pool + rnd() % 2000;
        r.logger_len = rnd() % 200;
        r.fields = f;
        r.n_fields = nf;
        int trunc;
        size_t full_n = nlog__json_encode(&r, fullbuf, BIGCAP, &trunc);
        assert_int_equal(trunc, 0);
        json_object *fullobj = parse_line(fullbuf, full_n);
        for (int k = 0; k < 4; k++) {
            size_t cap = NLOG__RECORD_MIN_CAP + rnd() % 6000;
            (void) check_cap(&r, cap, fullbuf, full_n, fullobj);
        }
        json_object_put(fullobj);
    }
}

/* Below the minimum nothing is written. */
static void test_below_minimum(void **state)
{
    (void) state;
#ifdef NDEBUG
    nlog__record r = base_record();
    char out[100];
    int trunc = 0;
    assert_int_equal(nlog__json_encode(&r, out, sizeof out, &trunc), 0);
    assert_int_equal(trunc, 1);
#else
    skip(); /* an assert() in debug builds */
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_ascii_message), cmocka_unit_test(test_escape_heavy_message),
        cmocka_unit_test(test_multibyte_message),  cmocka_unit_test(test_many_fields),
        cmocka_unit_test(test_huge_value_and_key), cmocka_unit_test(test_huge_everything),
        cmocka_unit_test(test_message_priority),   cmocka_unit_test(test_random),
        cmocka_unit_test(test_below_minimum),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
