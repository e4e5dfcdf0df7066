/* test_codec.c: a call copied into a queue entry and read back gives the
 * same record: every value type, category fields, explicit-length strings
 * with NUL bytes, long keys, and the string budget (message first). */
#include <string.h>

#include "async/codec.h"
#include "core/logger_impl.h"
#include "testutil.h"

static _Alignas(8) uint8_t entry[1 << 16];

static nlog_category roundtrip(const nlog__qcall *c, size_t budget, nlog__record *r, nlog_field *f,
                               uint32_t *ret_size)
{
    nlog__qlens lens;
    uint32_t size = nlog__qrec_measure(c, budget, &lens);
    assert_true(size <= sizeof entry);
    assert_int_equal(size % 8, 0);
    memset(entry, 0xEE, sizeof entry);
    nlog__qrec_write(entry, size, c, &lens);
    *ret_size = size;
    return nlog__qrec_read(entry, r, f, 4242);
}

static void every_type_survives(void **state)
{
    (void) state;
    nlog_logger *lg = nlog_get_logger("codec.test");
    nlog_site site = {"file.c", "fn", 77};
    int x;
    nlog_field in[] = {
        nlog_field_category(NLOG_CAT_DATABASE),
        nlog_field_str(NLOG_GROUP_CONTEXT, "s", "value"),
        nlog_field_strn(NLOG_GROUP_CONTEXT, "nul", "a\0b", 3),
        nlog_field_int(NLOG_GROUP_METADATA, "i", INT64_MIN),
        nlog_field_uint(NLOG_GROUP_METADATA, "u", UINT64_MAX),
        nlog_field_double(NLOG_GROUP_PERFORMANCE, "d", 0.045),
        nlog_field_bool(NLOG_GROUP_METADATA, "b", true),
        nlog_field_null(NLOG_GROUP_CONTEXT, "n"),
        nlog_field_ptr(NLOG_GROUP_CONTEXT, "p", &x),
        nlog_field_str(NLOG_GROUP_CONTEXT, "a-key-of-twenty-chars", ""),
    };
    nlog__qcall c = {.logger = lg, .level = NLOG_LEVEL_ERROR, .category = NLOG_CAT_DATABASE,
                     .time_ns = 123456789, .tid = 99, .site = &site, .msg = "hello world",
                     .msg_len = 11, .fields = in, .n_fields = sizeof in / sizeof in[0]};
    nlog__record r;
    nlog_field f[NLOG_FIELDS_MAX];
    uint32_t size;
    assert_int_equal(roundtrip(&c, 65536, &r, f, &size), NLOG_CAT_DATABASE);
    assert_string_equal(r.category, "database");
    assert_int_equal(r.level, NLOG_LEVEL_ERROR);
    assert_int_equal(r.time_ns, 123456789);
    assert_int_equal(r.tid, 99);
    assert_int_equal(r.pid, 4242);
    assert_string_equal(r.logger, "codec.test");
    assert_int_equal(r.line, 77);
    assert_string_equal(r.file, "file.c");
    assert_int_equal(r.message_len, 11);
    assert_memory_equal(r.message, "hello world", 11);
    assert_int_equal(r.n_fields, 9); /* the category field is not a member */
    assert_string_equal(f[0].key, "s");
    assert_int_equal(f[0].len, 5);
    assert_memory_equal(f[0].v.s, "value", 5);
    assert_int_equal(f[1].len, 3);
    assert_memory_equal(f[1].v.s, "a\0b", 3);
    assert_true(f[2].v.i == INT64_MIN);
    assert_true(f[3].v.u == UINT64_MAX);
    assert_true(f[4].v.d == 0.045);
    assert_int_equal(f[4].group, NLOG_GROUP_PERFORMANCE);
    assert_true(f[5].v.b);
    assert_int_equal(f[6].type, NLOG_VALUE_NULL);
    assert_ptr_equal(f[7].v.p, &x);
    assert_string_equal(f[8].key, "a-key-of-twenty-chars");
    assert_int_equal(f[8].len, 0);
    const nlog__qrec *q = (const nlog__qrec *) (const void *) entry;
    assert_int_equal(q->truncated, 0);
    assert_int_equal(q->h.size, size);
}

static void budget_cuts_message_first_then_fields(void **state)
{
    (void) state;
    nlog_logger *lg = nlog_get_logger("codec.budget");
    char big[3000];
    memset(big, 'm', sizeof big);
    nlog_field in[] = {
        nlog_field_strn(NLOG_GROUP_CONTEXT, "v1", big, 500),
        nlog_field_strn(NLOG_GROUP_CONTEXT, "v2", big, 500),
    };
    nlog__qcall c = {.logger = lg, .level = NLOG_LEVEL_INFO, .msg = big, .msg_len = 700,
                     .fields = in, .n_fields = 2};
    nlog__record r;
    nlog_field f[NLOG_FIELDS_MAX];
    uint32_t size;
    roundtrip(&c, 1000, &r, f, &size);
    assert_int_equal(r.message_len, 700);
    assert_int_equal(f[0].len, 300);
    assert_int_equal(f[1].len, 0);
    assert_int_equal(((const nlog__qrec *) (const void *) entry)->truncated, 1);
    /* a key longer than the cap is cut, the record is still readable */
    char key[NLOG__QKEY_MAX + 100];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    nlog_field lk = nlog_field_int(NLOG_GROUP_METADATA, key, 5);
    nlog__qcall c2 = {.logger = lg, .level = NLOG_LEVEL_INFO, .msg = "m", .msg_len = 1,
                      .fields = &lk, .n_fields = 1};
    roundtrip(&c2, 65536, &r, f, &size);
    assert_int_equal(strlen(f[0].key), NLOG__QKEY_MAX);
    assert_int_equal(f[0].v.i, 5);
}

static int setup(void **state)
{
    (void) state;
    nlog_config cfg;
    tu_config(&cfg, NULL);
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    return 0;
}

static int teardown(void **state)
{
    (void) state;
    nlog_shutdown();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_type_survives),
        cmocka_unit_test(budget_cuts_message_first_then_fields),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
