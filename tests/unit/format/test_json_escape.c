/* test_json_escape.c: JSON string escaping and injection resistance
 * (src/format/json.c, scan.h). Every output is parsed strictly (json-c with
 * UTF-8 validation) and each decoded string is compared with the input as
 * it should read: valid UTF-8 unchanged, each ill-formed unit (maximal
 * subpart, as verified exhaustively in test_utf8.c) as U+FFFD. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "format/json.h"
#include "format/utf8.h"

#define NS     INT64_C(1000000000)
#define BIGCAP (1u << 20)

static char *outbuf;

static int setup(void **state)
{
    (void) state;
    outbuf = malloc(BIGCAP);
    return outbuf ? 0 : -1;
}

static int teardown(void **state)
{
    (void) state;
    free(outbuf);
    return 0;
}

/* What a reader should decode: s with every ill-formed unit replaced. */
static size_t expected_text(const char *s, size_t len, char *dst)
{
    const unsigned char *u = (const unsigned char *) s;
    size_t i = 0, o = 0;
    while (i < len) {
        uint32_t cp;
        size_t k = nlog__utf8_next(u + i, len - i, &cp);
        if (cp == NLOG__UTF8_BAD) {
            memcpy(dst + o, NLOG__UTF8_REPLACEMENT, 3);
            o += 3;
        } else {
            memcpy(dst + o, s + i, k);
            o += k;
        }
        i += k;
    }
    return o;
}

static void expect_decoded(json_object *obj, const char *what, const char *s, size_t len)
{
    char *want = malloc(len * 3 + 1);
    size_t wn = expected_text(s, len, want);
    assert_true(json_object_is_type(obj, json_type_string));
    size_t gn = (size_t) json_object_get_string_len(obj);
    const char *got = json_object_get_string(obj);
    if (gn != wn || memcmp(got, want, wn) != 0)
        fail_msg("%s: decoded string differs (got %zu bytes, want %zu)", what, gn, wn);
    free(want);
}

static json_object *member(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v))
        fail_msg("member '%s' missing", key);
    return v;
}

static nlog__record base_record(void)
{
    nlog__record r = {.time_ns = 1705314645 * NS,
                      .level = NLOG_LEVEL_ERROR,
                      .category = "api",
                      .logger = "svc",
                      .logger_len = 3,
                      .message = "m",
                      .message_len = 1,
                      .function = "fn",
                      .line = 1,
                      .pid = 1,
                      .tid = 2};
    return r;
}

/* Encodes r, checks it is exactly one line holding one JSON object, and
 * that every string (message, module, category, function, keys, string
 * values) decodes to its expected text. */
static void check_record(const nlog__record *r)
{
    int trunc = -1;
    size_t n = nlog__json_encode(r, outbuf, BIGCAP, &trunc);
    assert_int_equal(trunc, 0);
    assert_true(n >= 2 && n <= BIGCAP);
    assert_memory_equal(outbuf + n - 2, "}\n", 2);
    assert_null(memchr(outbuf, '\n', n - 1));
    assert_null(memchr(outbuf, '\0', n));
    outbuf[n - 1] = '\0';
    json_object *o = tu_parse_json(outbuf);

    expect_decoded(member(o, "message"), "message", r->message, r->message_len);
    expect_decoded(member(o, "module"), "module", r->logger, r->logger_len);
    expect_decoded(member(o, "category"), "category", r->category, strlen(r->category));
    if (r->function)
        expect_decoded(member(o, "function"), "function", r->function, strlen(r->function));
    static const char *const gname[3] = {"context", "metadata", "performance_data"};
    for (size_t i = 0; i < r->n_fields; i++) {
        const nlog_field *f = &r->fields[i];
        if (f->group > 2 || !f->key)
            continue;
        json_object *g = member(o, gname[f->group]);
        char key[4096];
        size_t kn = expected_text(f->key, strlen(f->key), key);
        key[kn] = '\0';
        json_object *v = member(g, key);
        if (f->type == NLOG_VALUE_STRING && f->v.s)
            expect_decoded(v, "value", f->v.s, f->len == NLOG_LEN_NUL ? strlen(f->v.s) : f->len);
    }
    json_object_put(o);
}

/* The exact escaped form of a message, as it appears in the line. */
static void expect_message_json(const char *msg, size_t len, const char *want)
{
    nlog__record r = base_record();
    r.message = msg;
    r.message_len = len;
    int trunc;
    size_t n = nlog__json_encode(&r, outbuf, BIGCAP, &trunc);
    outbuf[n] = '\0';
    const char *p = strstr(outbuf, "\"message\":\"");
    assert_non_null(p);
    p += 11;
    const char *e = strstr(p, "\",\"module\":");
    assert_non_null(e);
    if ((size_t) (e - p) != strlen(want) || memcmp(p, want, strlen(want)) != 0)
        fail_msg("got:  %.*s\nwant: %s", (int) (e - p), p, want);
    check_record(&r);
}

#define MSG(lit, want) expect_message_json((lit), sizeof(lit) - 1, (want))

static void test_escape_forms(void **state)
{
    (void) state;
    MSG("plain", "plain");
    MSG("He said \"hi\"", "He said \\\"hi\\\"");
    MSG("C:\\path\\x", "C:\\\\path\\\\x");
    MSG("a\nb\rc\td\be\ff", "a\\nb\\rc\\td\\be\\ff");
    MSG("\x01\x1f\x1b[31m\x7f", "\\u0001\\u001f\\u001b[31m\\u007f");
    MSG("nul\0byte", "nul\\u0000byte");
    MSG("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xEF\xBF\xBD",
        "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xEF\xBF\xBD");
    MSG("ls\xE2\x80\xA8ps\xE2\x80\xA9", "ls\\u2028ps\\u2029");
    MSG("\xC2\x9B", "\xC2\x9B"); /* C1 CSI as a character: valid JSON as is */
    /* Ill-formed input, one U+FFFD per maximal subpart. */
    MSG("\x9B", "\xEF\xBF\xBD");
    MSG("\xC0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD");
    MSG("\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    MSG("\xF4\x90\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    MSG("x\xE2\x82", "x\xEF\xBF\xBD");
    MSG("\xF0\x9F\x98y", "\xEF\xBF\xBDy");
    MSG("\xFF\xFE", "\xEF\xBF\xBD\xEF\xBF\xBD");
}

/* Text that tries to close the string and add members, or start a new
 * record, stays inside its string. */
static void test_injection(void **state)
{
    (void) state;
    static const char evil[] = "\",\"level\":\"CRITICAL\",\"x\":\"\n{\"timestamp\":\"1970\"}\r\n";
    nlog_field f[] = {nlog_field_str(NLOG_GROUP_CONTEXT, "k\",\"level\":\"DEBUG", evil),
                      nlog_field_str(NLOG_GROUP_CONTEXT, "n\nl", "v")};
    nlog__record r = base_record();
    r.message = evil;
    r.message_len = sizeof evil - 1;
    r.logger = evil;
    r.logger_len = sizeof evil - 1;
    r.category = evil;
    r.function = evil;
    r.fields = f;
    r.n_fields = 2;
    check_record(&r);
    int trunc;
    size_t n = nlog__json_encode(&r, outbuf, BIGCAP, &trunc);
    outbuf[n - 1] = '\0';
    json_object *o = tu_parse_json(outbuf);
    assert_string_equal(json_object_get_string(member(o, "level")), "ERROR");
    assert_int_equal(json_object_object_length(o), 10);
    json_object_put(o);
}

/* Every byte value, alone and between ASCII letters, in every string slot. */
static void test_every_byte(void **state)
{
    (void) state;
    for (unsigned b = 0; b < 256; b++) {
        char one[1] = {(char) b};
        char mid[4] = {'a', (char) b, 'z', '\0'};
        char keyb[8] = {'k', (char) b, 'y', '\0'};
        nlog_field f[] = {nlog_field_strn(NLOG_GROUP_CONTEXT, "v1", one, 1),
                          nlog_field_strn(NLOG_GROUP_METADATA, b ? keyb : "k0", mid, 3),
                          nlog_field_str(NLOG_GROUP_PERFORMANCE, "v3", b ? mid : "az")};
        nlog__record r = base_record();
        r.message = one;
        r.message_len = 1;
        r.logger = mid;
        r.logger_len = 3;
        if (b) {
            r.category = mid;
            r.function = keyb;
        }
        r.fields = f;
        r.n_fields = 3;
        check_record(&r);
        r.message = mid;
        r.message_len = 3;
        check_record(&r);
    }
}

/* Every two-byte message. */
static void test_every_pair(void **state)
{
    (void) state;
    nlog__record r = base_record();
    for (unsigned v = 0; v < 65536; v++) {
        char m[2] = {(char) (v >> 8), (char) v};
        r.message = m;
        r.message_len = 2;
        check_record(&r);
    }
}

/* A special byte at every offset of a long clean run: the word-at-a-time
 * scanner must stop exactly there, whatever the alignment. */
static void test_scanner_offsets(void **state)
{
    (void) state;
    static const char *const specials[] = {"\x00", "\x1f",     "\"",      "\\",           "\x7f",
                                           "\x80", "\xC3\xA9", "\xFF",    "\xE2\x80\xA8", " ",
                                           "~",    "\x20\x1f", "\x1f\x20"};
    char buf[64];
    for (size_t k = 0; k < sizeof specials / sizeof specials[0]; k++) {
        size_t sl = k == 0 ? 1 : strlen(specials[k]);
        for (size_t pos = 0; pos + sl <= 48; pos++) {
            memset(buf, 'a', 48);
            memcpy(buf + pos, specials[k], sl);
            for (size_t len = pos + sl; len <= 48; len += 7) {
                nlog__record r = base_record();
                r.message = buf;
                r.message_len = len;
                check_record(&r);
            }
        }
    }
}

static uint64_t rng = 0xC0FFEE1234567ULL;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void random_bytes(char *s, size_t n)
{
    static const unsigned char pool[] = {0x00, 0x0A, 0x0D, 0x1B, 0x1F, '"',  '\\', 0x7F, 0x80,
                                         0x9B, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xE2, 0xED, 0xEF,
                                         0xF0, 0xF4, 0xF5, 0xFF, 0xA0, 0x8F, 0x90};
    for (size_t i = 0; i < n; i++) {
        uint64_t x = rnd();
        s[i] = (x & 3) == 0   ? (char) pool[(x >> 8) % sizeof pool]
               : (x & 3) == 1 ? (char) (x >> 16)
                              : (char) ('a' + (x >> 24) % 26);
    }
}

/* Thousands of random byte strings in every slot: always one line, always
 * valid, always the expected text. */
static void test_random_strings(void **state)
{
    (void) state;
    for (int iter = 0; iter < 5000; iter++) {
        char msg[300], mod[40], cat[40], fn[40], k1[20], k2[20], v1[100], v2[100];
        size_t ml = rnd() % sizeof msg, dl = rnd() % sizeof mod, vl = rnd() % sizeof v1;
        random_bytes(msg, ml);
        random_bytes(mod, dl);
        random_bytes(v1, vl);
        random_bytes(cat, sizeof cat - 1);
        random_bytes(fn, sizeof fn - 1);
        random_bytes(k1 + 1, sizeof k1 - 2);
        random_bytes(k2 + 1, sizeof k2 - 2);
        random_bytes(v2, sizeof v2 - 1);
        cat[sizeof cat - 1] = fn[sizeof fn - 1] = k1[sizeof k1 - 1] = k2[sizeof k2 - 1] =
            v2[sizeof v2 - 1] = '\0';
        k1[0] = '1'; /* distinct, non-empty keys */
        k2[0] = '2';
        nlog_field f[] = {nlog_field_strn((unsigned) (rnd() % 3), k1, v1, (uint32_t) vl),
                          nlog_field_str((unsigned) (rnd() % 3), k2, v2)};
        nlog__record r = base_record();
        r.message = msg;
        r.message_len = ml;
        r.logger = mod;
        r.logger_len = dl;
        r.category = cat;
        r.function = fn;
        r.fields = f;
        r.n_fields = 2;
        check_record(&r);
    }
}

/* The exported escaper writes whole units only and reports what it used. */
static void test_escape_api(void **state)
{
    (void) state;
    char d[32];
    size_t used, n;
    n = nlog__json_escape(d, 3, "ab\n", 3, &used);
    assert_int_equal(n, 2);
    assert_int_equal(used, 2);
    n = nlog__json_escape(d, 4, "ab\n", 3, &used);
    assert_int_equal(n, 4);
    assert_int_equal(used, 3);
    assert_memory_equal(d, "ab\\n", 4);
    n = nlog__json_escape(d, 7, "a\x01", 2, &used);
    assert_int_equal(n, 7);
    assert_memory_equal(d, "a\\u0001", 7);
    n = nlog__json_escape(d, 6, "a\x01", 2, &used);
    assert_int_equal(n, 1);
    assert_int_equal(used, 1);
    n = nlog__json_escape(d, 3, "a\xE2\x82\xAC", 4, &used); /* "a€" needs 4 */
    assert_int_equal(n, 1);
    assert_int_equal(used, 1);
    n = nlog__json_escape(d, 4, "a\xE2\x82\xAC", 4, &used);
    assert_int_equal(n, 4);
    assert_int_equal(used, 4);
    n = nlog__json_escape(d, 4, "\xC0\xFF", 2, &used); /* two U+FFFD need 6 */
    assert_int_equal(n, 3);
    assert_int_equal(used, 1);
    n = nlog__json_escape(d, 0, "abc", 3, &used);
    assert_int_equal(n, 0);
    assert_int_equal(used, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_forms),    cmocka_unit_test(test_injection),
        cmocka_unit_test(test_every_byte),      cmocka_unit_test(test_every_pair),
        cmocka_unit_test(test_scanner_offsets), cmocka_unit_test(test_random_strings),
        cmocka_unit_test(test_escape_api),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
