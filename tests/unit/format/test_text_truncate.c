/* test_text_truncate.c: the cap guarantees of the console encoder
 * (src/format/text.c): for every cap in a range the line fits, is one line
 * ending in '\n', keeps its timestamp and level tag (with the colour reset
 * when colours are on), stays neutralised, and the truncated flag is set
 * exactly when the full line would not fit. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "format/text.h"
#include "format/utf8.h"

#define NS     INT64_C(1000000000)
#define BIGCAP (1u << 22)

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
    nlog__record r = {.time_ns = 1705314645 * NS,
                      .level = NLOG_LEVEL_CRITICAL,
                      .category = "security",
                      .logger = "auth_service",
                      .logger_len = 12,
                      .message = "m",
                      .message_len = 1,
                      .file = "src/auth.c",
                      .function = "authenticate_user",
                      .line = -2147483647 - 1,
                      .pid = 1,
                      .tid = 2};
    return r;
}

/* Head = "[date time] " + optional SGR + tag + optional reset, measured
 * on the full line. */
static size_t head_len(const nlog__text_opts *o, const char *full, size_t full_n)
{
    if (!o->colors)
        return 22 + 10;
    const char *reset = memmem(full, full_n, "\x1b[0m", 4);
    assert_non_null(reset);
    return (size_t) (reset - full) + 4;
}

static void check_safe(const char *line, size_t n, size_t skip_from, size_t skip_to)
{
    const unsigned char *u = (const unsigned char *) line;
    assert_true(nlog__utf8_valid(line, n));
    for (size_t i = 0; i < n - 1;) {
        if (i >= skip_from && i < skip_to) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t k = nlog__utf8_next(u + i, n - i, &cp);
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x2028 && cp <= 0x202E) ||
            (cp >= 0x2066 && cp <= 0x2069))
            fail_msg("unsafe code point U+%04X at %zu", cp, i);
        i += k;
    }
}

static size_t check_cap(const nlog__record *r, const nlog__text_opts *o, size_t cap,
                        const char *full, size_t full_n)
{
    char *out = malloc(cap);
    int trunc = -1;
    size_t n = nlog__text_encode(r, o, out, cap, &trunc);
    size_t h = head_len(o, full, full_n);
    if (n > cap || n < h + 1)
        fail_msg("cap %zu: wrote %zu", cap, n);
    if (out[n - 1] != '\n' || memchr(out, '\n', n - 1))
        fail_msg("cap %zu: not exactly one line", cap);
    if (trunc != (full_n > cap))
        fail_msg("cap %zu: truncated=%d but the full line is %zu bytes", cap, trunc, full_n);
    assert_memory_equal(out, full, h); /* timestamp, colour, tag, reset */
    if (!trunc) {
        assert_int_equal(n, full_n);
        assert_memory_equal(out, full, n);
    }
    check_safe(out, n, o->colors ? 22 : 0, o->colors ? h : 0);
    if (!o->colors)
        assert_null(memchr(out, 0x1b, n));
    else
        assert_int_equal(memchr(out + h, 0x1b, n - h) == NULL, 1);
    free(out);
    return n;
}

static void sweep(const nlog__record *r, const nlog__text_opts *o, size_t lo, size_t hi,
                  int exact_fill)
{
    int trunc;
    size_t full_n = nlog__text_encode(r, o, fullbuf, BIGCAP, &trunc);
    assert_int_equal(trunc, 0);
    for (size_t cap = lo; cap <= hi; cap++) {
        size_t n = check_cap(r, o, cap, fullbuf, full_n);
        if (exact_fill && cap < full_n && n != cap)
            fail_msg("cap %zu: only %zu bytes used although only the message was cut", cap, n);
    }
    for (size_t cap = hi + 1; cap < full_n + 1000; cap += 997)
        (void) check_cap(r, o, cap, fullbuf, full_n);
}

static const nlog__text_opts all_opts[] = {{.utc = 1},
                                           {.utc = 1, .colors = 1},
                                           {.utc = 1, .fields = 1, .caller = 1},
                                           {.utc = 1, .colors = 1, .fields = 1, .caller = 1}};

static void test_long_message(void **state)
{
    (void) state;
    static char msg[12000];
    memset(msg, 'x', sizeof msg);
    nlog__record r = base_record();
    r.message = msg;
    r.message_len = sizeof msg;
    for (size_t i = 0; i < sizeof all_opts / sizeof all_opts[0]; i++)
        sweep(&r, &all_opts[i], NLOG__RECORD_MIN_CAP, 4000, 1);
}

static void test_hostile_message(void **state)
{
    (void) state;
    static char msg[5000];
    static const char *const bits[] = {"\x1b[2J", "\xE2\x80\xAE",     "\xC2\x9B", "\n",
                                       "\x9B",    "\xF0\x9F\x98\x80", "ok "};
    size_t n = 0;
    for (unsigned i = 0; n + 5 <= sizeof msg; i++) {
        const char *b = bits[(i * 5) % 7];
        memcpy(msg + n, b, strlen(b));
        n += strlen(b);
    }
    nlog_field f[] = {NLOG_CTX("k", "v v"), NLOG_META("n", 1)};
    nlog__record r = base_record();
    r.message = msg;
    r.message_len = n;
    r.fields = f;
    r.n_fields = 2;
    for (size_t i = 0; i < sizeof all_opts / sizeof all_opts[0]; i++)
        sweep(&r, &all_opts[i], NLOG__RECORD_MIN_CAP, 3000, 0);
}

static void test_big_fields_and_names(void **state)
{
    (void) state;
    static char val[6000], qval[6000], logger[3000], file[3000], fn[3000], key[2000];
    memset(val, 'v', sizeof val - 1);
    memset(qval, ' ', sizeof qval - 1);
    memset(logger, 'L', sizeof logger);
    memset(file, 'F', sizeof file - 1);
    memset(fn, 'f', sizeof fn - 1);
    memset(key, 'K', sizeof key - 1);
    nlog_field f[] = {NLOG_CTX("a", 1), NLOG_CTX("big", (const char *) val), NLOG_CTX(key, 2),
                      NLOG_CTX("quoted", (const char *) qval), NLOG_CTX("z", 3)};
    nlog__record r = base_record();
    r.message = "hello";
    r.message_len = 5;
    r.logger = logger;
    r.logger_len = sizeof logger;
    r.file = file;
    r.function = fn;
    r.fields = f;
    r.n_fields = 5;
    for (size_t i = 0; i < sizeof all_opts / sizeof all_opts[0]; i++)
        sweep(&r, &all_opts[i], NLOG__RECORD_MIN_CAP, 3000, 0);
}

static uint64_t rng = 0xABCDEF987654321ULL;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void test_random(void **state)
{
    (void) state;
    static char pool[1 << 16];
    for (size_t i = 0; i < sizeof pool; i++) {
        uint64_t x = rnd();
        pool[i] = (x & 1) ? (char) ('a' + (x >> 8) % 26) : (x & 2) ? ' ' : (char) (x >> 16);
    }
    for (int iter = 0; iter < 1500; iter++) {
        nlog_field f[10];
        char keys[10][30];
        size_t nf = rnd() % 10;
        for (size_t i = 0; i < nf; i++) {
            size_t kl = 1 + rnd() % 29;
            memcpy(keys[i], pool + rnd() % 1000, kl - 1);
            keys[i][kl - 1] = '\0';
            size_t vl = rnd() % (rnd() % 4 == 0 ? 5000 : 50);
            f[i] = (rnd() & 1) ? nlog_field_strn((unsigned) (rnd() % 4), keys[i],
                                                 pool + rnd() % 1000, (uint32_t) vl)
                               : nlog_field_int((unsigned) (rnd() % 4), keys[i], (int64_t) rnd());
        }
        nlog__record r = base_record();
        r.level = nlog_level_from_index((int) (rnd() % 8));
        r.message = pool + rnd() % 2000;
        r.message_len = rnd() % (rnd() % 2 ? 8000 : 200);
        r.logger = pool + rnd() % 2000;
        r.logger_len = rnd() % 300;
        r.fields = f;
        r.n_fields = nf;
        nlog__text_opts o = {.colors = (int) (rnd() & 1),
                             .utc = 1,
                             .fields = (int) (rnd() & 1),
                             .caller = (int) (rnd() & 1)};
        int trunc;
        size_t full_n = nlog__text_encode(&r, &o, fullbuf, BIGCAP, &trunc);
        assert_int_equal(trunc, 0);
        for (int k = 0; k < 4; k++)
            (void) check_cap(&r, &o, NLOG__RECORD_MIN_CAP + rnd() % 5000, fullbuf, full_n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_message),
        cmocka_unit_test(test_hostile_message),
        cmocka_unit_test(test_big_fields_and_names),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
