/* test_text_format.c: the console line (src/format/text.c): exact lines,
 * level padding, colours on and off, caller and field rendering, quoting,
 * and neutralisation of everything that could drive a terminal. */
#include "testutil.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format/text.h"
#include "format/timefmt.h"
#include "format/utf8.h"

#define NS     INT64_C(1000000000)
#define BIGCAP (1u << 20)

static char *outbuf;

static int setup(void **state)
{
    (void) state;
    outbuf = malloc(BIGCAP + 1);
    setenv("TZ", "UTC0", 1);
    tzset();
    nlog__timefmt_cache_reset();
    return outbuf ? 0 : -1;
}

static int teardown(void **state)
{
    (void) state;
    free(outbuf);
    return 0;
}

static nlog__record base_record(void)
{
    nlog__record r = {
        .time_ns = 1705314645 * NS + 123456789,
        .level = NLOG_LEVEL_INFO,
        .category = "application",
        .logger = "auth_service",
        .logger_len = 12,
        .message = "User authenticated successfully",
        .message_len = 31,
        .file = "src/auth/service.c",
        .function = "authenticate_user",
        .line = 142,
        .pid = 1,
        .tid = 2,
    };
    return r;
}

static const char *encode(const nlog__record *r, const nlog__text_opts *o, size_t *ret_n)
{
    int trunc = -1;
    size_t n = nlog__text_encode(r, o, outbuf, BIGCAP, &trunc);
    assert_int_equal(trunc, 0);
    assert_true(n >= 1 && outbuf[n - 1] == '\n');
    assert_null(memchr(outbuf, '\n', n - 1));
    outbuf[n] = '\0';
    if (ret_n)
        *ret_n = n;
    return outbuf;
}

static void expect_line(const nlog__record *r, const nlog__text_opts *o, const char *want)
{
    size_t n;
    const char *got = encode(r, o, &n);
    if (n != strlen(want) || memcmp(got, want, n) != 0)
        fail_msg("got:  %s\nwant: %s", got, want);
}

static void test_product_lines(void **state)
{
    (void) state;
    nlog__text_opts o = {.utc = 1};
    nlog__record r = base_record();
    expect_line(&r, &o,
                "[2024-01-15 10:30:45] [INFO    ] auth_service: User authenticated successfully\n");
    r.level = NLOG_LEVEL_WARNING;
    r.logger = "database";
    r.logger_len = 8;
    r.message = "Connection pool exhausted, creating new connection";
    r.message_len = strlen(r.message);
    r.time_ns += NS;
    expect_line(&r, &o,
                "[2024-01-15 10:30:46] [WARNING ] database: Connection pool exhausted, creating "
                "new connection\n");
    r.level = NLOG_LEVEL_ERROR;
    r.logger = "api_handler";
    r.logger_len = 11;
    r.message = "Request validation failed: missing required field 'email'";
    r.message_len = strlen(r.message);
    r.time_ns += NS;
    expect_line(
        &r, &o,
        "[2024-01-15 10:30:47] [ERROR   ] api_handler: Request validation failed: missing required "
        "field 'email'\n");
    /* NULL options: local time (TZ=UTC0 here), nothing extra. */
    r = base_record();
    expect_line(&r, NULL,
                "[2024-01-15 10:30:45] [INFO    ] auth_service: User authenticated successfully\n");
}

static const struct {
    nlog_level l;
    const char *tag;
    const char *sgr;
} levels[] = {
    {NLOG_LEVEL_TRACE, "[TRACE   ]", "\x1b[90m"},
    {NLOG_LEVEL_DEBUG, "[DEBUG   ]", "\x1b[36m"},
    {NLOG_LEVEL_INFO, "[INFO    ]", "\x1b[32m"},
    {NLOG_LEVEL_WARNING, "[WARNING ]", "\x1b[33m"},
    {NLOG_LEVEL_ERROR, "[ERROR   ]", "\x1b[31m"},
    {NLOG_LEVEL_CRITICAL, "[CRITICAL]", "\x1b[1;37;41m"},
    {NLOG_LEVEL_SECURITY, "[SECURITY]", "\x1b[1;35m"},
    {NLOG_LEVEL_AUDIT, "[AUDIT   ]", "\x1b[1;34m"},
};

static void test_levels_and_colours(void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        char want[256];
        nlog__record r = base_record();
        r.level = levels[i].l;
        r.message = "m";
        r.message_len = 1;
        nlog__text_opts plain = {.utc = 1}, colour = {.utc = 1, .colors = 1};
        snprintf(want, sizeof want, "[2024-01-15 10:30:45] %s auth_service: m\n", levels[i].tag);
        expect_line(&r, &plain, want);
        assert_null(strchr(outbuf, 0x1b));
        snprintf(want, sizeof want, "[2024-01-15 10:30:45] %s%s\x1b[0m auth_service: m\n",
                 levels[i].sgr, levels[i].tag);
        expect_line(&r, &colour, want);
    }
    nlog__record r = base_record();
    r.level = (nlog_level) 12345;
    r.message = "m";
    r.message_len = 1;
    nlog__text_opts colour = {.utc = 1, .colors = 1};
    expect_line(&r, &colour, "[2024-01-15 10:30:45] [UNKNOWN ] auth_service: m\n");
}

static void test_caller(void **state)
{
    (void) state;
    nlog__text_opts o = {.utc = 1, .caller = 1};
    nlog__record r = base_record();
    r.message = "m";
    r.message_len = 1;
    expect_line(
        &r, &o,
        "[2024-01-15 10:30:45] [INFO    ] auth_service (service.c:142 authenticate_user): m\n");
    r.line = 0;
    expect_line(&r, &o,
                "[2024-01-15 10:30:45] [INFO    ] auth_service (service.c authenticate_user): m\n");
    r.line = 7;
    r.function = NULL;
    expect_line(&r, &o, "[2024-01-15 10:30:45] [INFO    ] auth_service (service.c:7): m\n");
    r.file = "plain.c";
    expect_line(&r, &o, "[2024-01-15 10:30:45] [INFO    ] auth_service (plain.c:7): m\n");
    r.file = NULL;
    r.function = "fn";
    expect_line(&r, &o, "[2024-01-15 10:30:45] [INFO    ] auth_service (fn): m\n");
    r.function = NULL;
    expect_line(&r, &o, "[2024-01-15 10:30:45] [INFO    ] auth_service: m\n");
    /* Off: nothing, whatever is known. */
    r = base_record();
    r.message = "m";
    r.message_len = 1;
    o.caller = 0;
    expect_line(&r, &o, "[2024-01-15 10:30:45] [INFO    ] auth_service: m\n");
}

static void test_fields(void **state)
{
    (void) state;
    nlog_field f[] = {
        NLOG_CATEGORY(NLOG_CAT_API),
        NLOG_CTX("request_id", "req_123456"),
        NLOG_CTX("user", "John Smith"),
        NLOG_CTX("empty", ""),
        NLOG_META("eq", "a=b"),
        NLOG_META("q", "say \"hi\""),
        NLOG_META("bs", "back\\slash"),
        NLOG_META("qbs", "a \\ b"),
        NLOG_META("n", 45),
        NLOG_META("u", UINT64_MAX),
        NLOG_META("i", INT64_MIN),
        NLOG_PERF("d", 0.045),
        NLOG_PERF("neg0", -0.0),
        NLOG_PERF("nan", NAN),
        NLOG_PERF("big", 1e300),
        NLOG_META("t", true),
        NLOG_META("f", false),
        nlog_field_null(0, "null"),
        nlog_field_ptr(0, "p", (const void *) (uintptr_t) 0xdeadbeef),
        nlog_field_str(0, "ns", NULL),
        nlog_field_strn(0, "bin", "a\0b", 3),
        nlog_field_int(9, "hidden", 1),
        nlog_field_int(0, NULL, 1),
    };
    nlog__text_opts o = {.utc = 1, .fields = 1};
    nlog__record r = base_record();
    r.category = "api";
    r.message = "m";
    r.message_len = 1;
    r.fields = f;
    r.n_fields = sizeof f / sizeof f[0];
    expect_line(
        &r, &o,
        "[2024-01-15 10:30:45] [INFO    ] auth_service: m category=api request_id=req_123456 "
        "user=\"John Smith\" empty=\"\" eq=\"a=b\" q=\"say \\\"hi\\\"\" bs=back\\slash "
        "qbs=\"a \\\\ b\" n=45 u=18446744073709551615 i=-9223372036854775808 d=0.045 neg0=-0 "
        "nan=null "
        "big=1e+300 t=true f=false null=null p=0xdeadbeef ns=null bin=a\\x00b\n");
    /* The default category is not repeated; with fields off nothing is added. */
    r.category = "application";
    r.n_fields = 2;
    expect_line(&r, &o, "[2024-01-15 10:30:45] [INFO    ] auth_service: m request_id=req_123456\n");
    r.category = "api";
    o.fields = 0;
    expect_line(&r, &o, "[2024-01-15 10:30:45] [INFO    ] auth_service: m\n");
    /* Everything at once. */
    nlog__text_opts all = {.utc = 1, .fields = 1, .caller = 1, .colors = 1};
    r.level = NLOG_LEVEL_SECURITY;
    expect_line(&r, &all,
                "[2024-01-15 10:30:45] \x1b[1;35m[SECURITY]\x1b[0m auth_service (service.c:142 "
                "authenticate_user): "
                "m category=api request_id=req_123456\n");
}

static void test_local_time(void **state)
{
    (void) state;
    nlog__record r = base_record();
    r.time_ns = 1705400000 * NS; /* a second no other test uses */
    setenv("TZ", "EST5", 1);
    tzset();
    nlog__timefmt_cache_reset();
    nlog__text_opts local = {0}, utc = {.utc = 1};
    expect_line(&r, &local,
                "[2024-01-16 05:13:20] [INFO    ] auth_service: User authenticated successfully\n");
    expect_line(&r, &utc,
                "[2024-01-16 10:13:20] [INFO    ] auth_service: User authenticated successfully\n");
    r.time_ns = -1;
    expect_line(&r, &local,
                "[1969-12-31 18:59:59] [INFO    ] auth_service: User authenticated successfully\n");
    setenv("TZ", "UTC0", 1);
    tzset();
    nlog__timefmt_cache_reset();
}

/* Exact neutralised forms. */
static void expect_message(const char *msg, size_t len, const char *want_msg)
{
    char want[1024];
    nlog__text_opts o = {.utc = 1};
    nlog__record r = base_record();
    r.message = msg;
    r.message_len = len;
    snprintf(want, sizeof want, "[2024-01-15 10:30:45] [INFO    ] auth_service: %s\n", want_msg);
    expect_line(&r, &o, want);
}

#define MSG(lit, want) expect_message((lit), sizeof(lit) - 1, (want))

static void test_neutralise_forms(void **state)
{
    (void) state;
    MSG("line1\nline2\r\tx", "line1\\nline2\\r\\tx");
    MSG("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m");
    MSG("\x1b]0;title\x07", "\\x1b]0;title\\x07");
    MSG("del\x7f nul\0 bs\b", "del\\x7f nul\\x00 bs\\x08");
    MSG("quote \" and back\\slash stay", "quote \" and back\\slash stay");
    MSG("csi \xC2\x9B"
        "2J c1 \xC2\x80\xC2\x9F",
        "csi \\u009b2J c1 \\u0080\\u009f");
    MSG("raw \x9B"
        "2J",
        "raw \xEF\xBF\xBD"
        "2J");
    MSG("bidi \xE2\x80\xAA\xE2\x80\xAB\xE2\x80\xAC\xE2\x80\xAD\xE2\x80\xAE",
        "bidi \\u202a\\u202b\\u202c\\u202d\\u202e");
    MSG("iso \xE2\x81\xA6\xE2\x81\xA7\xE2\x81\xA8\xE2\x81\xA9", "iso \\u2066\\u2067\\u2068\\u2069");
    MSG("seps \xE2\x80\xA8\xE2\x80\xA9", "seps \\u2028\\u2029");
    MSG("ok caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xE2\x80\x8B \xC2\xA0",
        "ok caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xE2\x80\x8B \xC2\xA0");
    MSG("bad \xC0\x80 \xED\xA0\x80 \xF4\x90\x80\x80 \xE2\x82",
        "bad \xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD "
        "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBD");
}

/* Every slot is neutralised, not just the message. */
static void test_neutralise_slots(void **state)
{
    (void) state;
    nlog_field f[] = {nlog_field_str(0, "k\x1b[2J", "v\n\xE2\x80\xAE x"),
                      nlog_field_str(0, "plain", "\x1b\x9b")};
    nlog__text_opts o = {.utc = 1, .fields = 1, .caller = 1};
    nlog__record r = base_record();
    r.logger = "log\r\x1b";
    r.logger_len = 5;
    r.file = "/dir\n/fi\x1ble.c";
    r.function = "fn\xC2\x9B";
    r.category = "c\ta t";
    r.message = "m";
    r.message_len = 1;
    r.fields = f;
    r.n_fields = 2;
    expect_line(&r, &o,
                "[2024-01-15 10:30:45] [INFO    ] log\\r\\x1b (fi\\x1ble.c:142 fn\\u009b): m "
                "category=\"c\\ta t\" k\\x1b[2J=\"v\\n\\u202e x\" plain=\\x1b\xEF\xBF\xBD\n");
}

static uint64_t rng = 0xFEEDFACECAFEULL;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void random_bytes(char *s, size_t n)
{
    static const unsigned char pool[] = {0x00, 0x07, 0x08, 0x0A, 0x0D, 0x1B, 0x1B, '[',  ']',  '"',
                                         '\\', ' ',  '=',  0x7F, 0x80, 0x9B, 0x9D, 0xC2, 0xE2, 0x80,
                                         0x81, 0xAA, 0xAE, 0xA6, 0xA8, 0xED, 0xF0, 0xF4, 0xFF};
    for (size_t i = 0; i < n; i++) {
        uint64_t x = rnd();
        s[i] = (x & 1)   ? (char) pool[(x >> 8) % sizeof pool]
               : (x & 2) ? (char) (x >> 16)
                         : (char) ('a' + (x >> 24) % 26);
    }
}

/* The output is well-formed UTF-8 with no control characters but the final
 * '\n' (and, with colours, our two SGR sequences at their fixed place), no
 * C1 controls, no bidi controls. */
static void check_safe(const char *line, size_t n, const nlog__record *r, int colors)
{
    const unsigned char *u = (const unsigned char *) line;
    size_t skip_from = 0, skip_to = 0;
    assert_true(n >= 1 && line[n - 1] == '\n');
    if (colors) {
        int li = nlog_level_index(r->level);
        assert_true(li >= 0);
        size_t sl = strlen(levels[li].sgr);
        assert_memory_equal(line + 22, levels[li].sgr, sl);
        assert_memory_equal(line + 22 + sl + 10, "\x1b[0m", 4);
        skip_from = 22;
        skip_to = 22 + sl + 10 + 4;
    }
    assert_true(nlog__utf8_valid(line, n));
    size_t i = 0;
    while (i < n - 1) {
        if (i >= skip_from && i < skip_to) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t k = nlog__utf8_next(u + i, n - i, &cp);
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x2028 && cp <= 0x202E) ||
            (cp >= 0x2066 && cp <= 0x2069))
            fail_msg("unsafe code point U+%04X at %zu: %.*s", cp, i, (int) n, line);
        i += k;
    }
}

static void test_random_neutralised(void **state)
{
    (void) state;
    for (int iter = 0; iter < 5000; iter++) {
        char msg[200], log[30], file[30], fn[30], cat[30], k1[20], v1[60], v2[60];
        size_t ml = rnd() % sizeof msg, ll = rnd() % sizeof log, vl = rnd() % sizeof v1;
        random_bytes(msg, ml);
        random_bytes(log, ll);
        random_bytes(v1, vl);
        random_bytes(file, sizeof file - 1);
        random_bytes(fn, sizeof fn - 1);
        random_bytes(cat, sizeof cat - 1);
        random_bytes(k1, sizeof k1 - 1);
        random_bytes(v2, sizeof v2 - 1);
        file[sizeof file - 1] = fn[sizeof fn - 1] = cat[sizeof cat - 1] = k1[sizeof k1 - 1] = '\0';
        v2[sizeof v2 - 1] = '\0';
        nlog_field f[] = {nlog_field_strn(0, k1, v1, (uint32_t) vl), nlog_field_str(1, k1, v2),
                          nlog_field_double(2, k1, (double) (int64_t) rnd() / 3.0)};
        nlog__record r = base_record();
        r.level = nlog_level_from_index((int) (rnd() % 8));
        r.message = msg;
        r.message_len = ml;
        r.logger = log;
        r.logger_len = ll;
        r.file = file;
        r.function = fn;
        r.category = cat;
        r.fields = f;
        r.n_fields = 3;
        nlog__text_opts o = {
            .colors = (int) (rnd() & 1), .utc = (int) (rnd() & 1), .fields = 1, .caller = 1};
        size_t n;
        const char *line = encode(&r, &o, &n);
        check_safe(line, n, &r, o.colors);
        if (!o.colors)
            assert_null(memchr(line, 0x1b, n));
    }
}

/* A German locale: installed, or compiled from the system's locale sources
 * into the scratch directory (LOCPATH), or NULL. */
static const char *german_locale(void)
{
    static const char *const names[] = {"de_DE.UTF-8", "de_DE.utf8", "de_DE"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (setlocale(LC_ALL, names[i]))
            return names[i];
    }
    const char *dir = tu_scratch("locales");
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "localedef -i de_DE -f UTF-8 '%s/de_DE.UTF-8' >/dev/null 2>&1", dir);
    if (system(cmd) != 0)
        return NULL;
    setenv("LOCPATH", dir, 1);
    const char *ok = setlocale(LC_ALL, "de_DE.UTF-8");
    /* glibc's setlocale() can leak its copy of LOCPATH; set it only as long
     * as needed to load the locale. */
    unsetenv("LOCPATH");
    return ok ? "de_DE.UTF-8" : NULL;
}

static void test_locale_independent(void **state)
{
    (void) state;
    nlog_field f[] = {NLOG_PERF("response_time", 0.045), NLOG_PERF("memory_usage", 128.5),
                      NLOG_PERF("ratio", 1.0 / 3.0)};
    nlog__text_opts o = {.utc = 1, .fields = 1};
    nlog__record r = base_record();
    r.message = "m";
    r.message_len = 1;
    r.fields = f;
    r.n_fields = 3;
    const char *want =
        "[2024-01-15 10:30:45] [INFO    ] auth_service: m response_time=0.045 memory_usage=128.5 "
        "ratio=0.3333333333333333\n";
    expect_line(&r, &o, want); /* C locale */
    const char *loc = german_locale();
    if (!loc) {
        print_message("no German locale available: decimal-comma assertions skipped\n");
        skip();
        return;
    }
    char b[32];
    snprintf(b, sizeof b, "%g", 128.5);
    assert_string_equal(b, "128,5");
    expect_line(&r, &o, want);
    setlocale(LC_ALL, "C");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_product_lines),
        cmocka_unit_test(test_levels_and_colours),
        cmocka_unit_test(test_caller),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_local_time),
        cmocka_unit_test(test_neutralise_forms),
        cmocka_unit_test(test_neutralise_slots),
        cmocka_unit_test(test_random_neutralised),
        cmocka_unit_test(test_locale_independent),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
