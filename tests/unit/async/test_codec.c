/* test_codec.c: a call copied into a queue entry and read back gives the
 * same record: every value type, category fields, explicit-length strings
 * with NUL bytes, long keys, the string budget (message first); strings in
 * the program's read-only image are kept as pointers and every other string
 * is copied (so the caller may reuse its buffers at once); the fast path
 * refuses whatever it cannot keep by pointer. */
#include <gnu/libc-version.h>
#include <stdlib.h>
#include <string.h>

#include "async/codec.h"
#include "core/logger_impl.h"
#include "platform/platform.h"
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
    return nlog__qrec_read(entry, r, f, 4242, 99);
}

static const nlog__qrec *head(void)
{
    return (const nlog__qrec *) (const void *) entry;
}

static void static_ranges_cover_literals_only(void **state)
{
    (void) state;
    static const char rodata[] = "a static const array";
    static char data[] = "a writable array";
    char stack[] = "on the stack";
    char *heap = strdup("on the heap");
    assert_true(nlog__is_static("a literal"));
    assert_true(nlog__is_static(rodata));
    assert_true(nlog__is_static(__func__));
    assert_false(nlog__is_static(data));
    assert_false(nlog__is_static(stack));
    assert_false(nlog__is_static(heap));
    assert_false(nlog__is_static(NULL));
    /* a shared library's strings may go away with dlclose(): never kept */
    assert_false(nlog__is_static(gnu_get_libc_version()));
    free(heap);
}

static void every_type_survives(void **state)
{
    (void) state;
    nlog_logger *lg = nlog_get_logger("codec.test");
    char file[] = "file.c", fn[] = "fn", msg[] = "hello world", key[] = "s", val[] = "value";
    nlog_site site = {file, fn, 77};
    int x;
    nlog_field in[] = {
        nlog_field_category(NLOG_CAT_DATABASE),
        nlog_field_str(NLOG_GROUP_CONTEXT, key, val),
        nlog_field_strn(NLOG_GROUP_CONTEXT, "nul", "a\0b", 3),
        nlog_field_int(NLOG_GROUP_METADATA, "i", INT64_MIN),
        nlog_field_uint(NLOG_GROUP_METADATA, "u", UINT64_MAX),
        nlog_field_double(NLOG_GROUP_PERFORMANCE, "d", 0.045),
        nlog_field_bool(NLOG_GROUP_METADATA, "b", true),
        nlog_field_null(NLOG_GROUP_CONTEXT, "n"),
        nlog_field_ptr(NLOG_GROUP_CONTEXT, "p", &x),
        nlog_field_str(NLOG_GROUP_CONTEXT, "a-key-of-twenty-chars", ""),
    };
    nlog__qcall c = {.logger = lg, .level_index = 4, .time = 123456789, .site = &site,
                     .msg = msg, .msg_len = 11, .fields = in, .n_fields = sizeof in / sizeof in[0]};
    nlog__record r;
    nlog_field f[NLOG_FIELDS_MAX];
    uint32_t size;
    assert_int_equal(roundtrip(&c, 65536, &r, f, &size), NLOG_CAT_DATABASE);
    /* the caller's buffers are reused at once: the entry must not need them */
    memset(file, 'X', sizeof file - 1);
    memset(fn, 'X', sizeof fn - 1);
    memset(msg, 'X', sizeof msg - 1);
    memset(key, 'X', sizeof key - 1);
    memset(val, 'X', sizeof val - 1);
    assert_string_equal(r.category, "database");
    assert_int_equal(r.level, NLOG_LEVEL_ERROR);
    assert_int_equal(r.time_ns, 123456789);
    assert_int_equal(r.tid, 99);
    assert_int_equal(r.pid, 4242);
    assert_string_equal(r.logger, "codec.test");
    assert_int_equal(r.line, 77);
    assert_string_equal(r.file, "file.c");
    assert_string_equal(r.function, "fn");
    assert_int_equal(r.message_len, 11);
    assert_memory_equal(r.message, "hello world", 11);
    assert_int_equal(r.n_fields, 9); /* the category field is not a member */
    assert_false(r.flags & NLOG__REC_STATIC); /* strings were copied */
    assert_string_equal(r.fields[0].key, "s");
    assert_int_equal(r.fields[0].len, 5);
    assert_memory_equal(r.fields[0].v.s, "value", 5);
    assert_int_equal(r.fields[1].len, 3);
    assert_memory_equal(r.fields[1].v.s, "a\0b", 3);
    assert_ptr_equal(r.fields[1].key, in[2].key); /* literals are kept by pointer */
    assert_ptr_equal(r.fields[1].v.s, in[2].v.s);
    assert_true(r.fields[2].v.i == INT64_MIN);
    assert_true(r.fields[3].v.u == UINT64_MAX);
    assert_true(r.fields[4].v.d == 0.045);
    assert_int_equal(r.fields[4].group, NLOG_GROUP_PERFORMANCE);
    assert_true(r.fields[5].v.b);
    assert_int_equal(r.fields[6].type, NLOG_VALUE_NULL);
    assert_ptr_equal(r.fields[7].v.p, &x);
    assert_string_equal(r.fields[8].key, "a-key-of-twenty-chars");
    assert_int_equal(r.fields[8].len, NLOG_LEN_NUL);
    assert_int_equal(strlen(r.fields[8].v.s), 0);
    assert_false(head()->flags & NLOG__QF_TRUNC);
    assert_int_equal(head()->h.size, size);
}

static void literals_are_not_copied(void **state)
{
    (void) state;
    nlog_logger *lg = nlog_get_logger("codec.literals");
    nlog_site site = {"file.c", "fn", 1};
    nlog_field in[] = {nlog_field_str(NLOG_GROUP_CONTEXT, "user_id", "user_789")};
    nlog__qcall c = {.logger = lg, .level_index = 2, .site = &site, .msg = "static message",
                     .msg_len = 14, .fields = in, .n_fields = 1};
    nlog__record r;
    nlog_field f[NLOG_FIELDS_MAX];
    uint32_t size;
    roundtrip(&c, 65536, &r, f, &size);
    assert_int_equal(size, NLOG__QREC_STATIC_SIZE(1)); /* header and field only */
    assert_true(r.flags & NLOG__REC_STATIC);
    assert_ptr_equal(r.message, c.msg);
    assert_ptr_equal(r.file, site.file);
    assert_ptr_equal(r.fields[0].v.s, in[0].v.s);
}

static void fast_path_takes_static_calls_only(void **state)
{
    (void) state;
    nlog_logger *lg = nlog_get_logger("codec.fast");
    nlog_site site = {"file.c", "fn", 12};
    nlog_field in[] = {
        nlog_field_category(NLOG_CAT_API),
        nlog_field_int(NLOG_GROUP_CONTEXT, "request_id", 7),
        nlog_field_str(NLOG_GROUP_CONTEXT, "user_id", "user_789"),
    };
    memset(entry, 0xEE, sizeof entry);
    int64_t ns0 = nlog__clock_realtime_ns();
    uint64_t tick0 = nlog__tsc_read();
    assert_true(nlog__qrec_write_static(entry, lg, 2, 0, &site, "msg", in, 3));
    uint64_t tick1 = nlog__tsc_read();
    int64_t ns1 = nlog__clock_realtime_ns();
    /* stamped by the call: TSC ticks where the writer can convert them, else ns */
    if (head()->flags & NLOG__QF_TSC) {
        assert_true((uint64_t) head()->time >= tick0 && (uint64_t) head()->time <= tick1);
    } else {
        assert_true(head()->time >= ns0 && head()->time <= ns1);
    }
    nlog__record r;
    nlog_field f[NLOG_FIELDS_MAX];
    assert_int_equal(nlog__qrec_read(entry, &r, f, 1, 2), NLOG_CAT_API);
    assert_int_equal(head()->h.size, NLOG__QREC_STATIC_SIZE(3));
    assert_int_equal(r.level, NLOG_LEVEL_INFO);
    assert_int_equal(r.message_len, 3);
    /* nothing copied: the entry's own field array is the view, category
     * entry included (the encoders skip it) */
    assert_true(r.flags & NLOG__REC_STATIC);
    assert_int_equal(r.n_fields, 3);
    assert_int_equal(r.fields[0].group, NLOG_GROUP_CATEGORY);
    assert_int_equal(r.fields[1].v.i, 7);
    assert_string_equal(r.fields[2].v.s, "user_789");
    assert_int_equal(r.fields[2].len, NLOG_LEN_NUL);

    /* anything that would need copying goes to the general path */
    char buf[] = "dynamic";
    nlog_field dyn_key[] = {nlog_field_int(NLOG_GROUP_CONTEXT, buf, 1)};
    nlog_field dyn_val[] = {nlog_field_str(NLOG_GROUP_CONTEXT, "k", buf)};
    nlog_field custom[] = {nlog_field_category((nlog_category) 200)};
    nlog_site dyn_site = {buf, "fn", 1};
    assert_false(nlog__qrec_write_static(entry, lg, 2, 0, &site, buf, in, 3));
    assert_false(nlog__qrec_write_static(entry, lg, 2, 0, &site, "m", dyn_key, 1));
    assert_false(nlog__qrec_write_static(entry, lg, 2, 0, &site, "m", dyn_val, 1));
    assert_false(nlog__qrec_write_static(entry, lg, 2, 0, &site, "m", custom, 1));
    assert_false(nlog__qrec_write_static(entry, lg, 2, 0, &dyn_site, "m", in, 3));
}

/* The field macros mark literal keys and values (and built-in category
 * constants) for the compiler-proven path; anything else gets no mark.
 * (A variable the optimiser can prove holds a literal or a built-in id may
 * be marked too, which is just as sound.) */
static void macros_mark_literals_only(void **state)
{
    (void) state;
    char buf[] = "dynamic";
    const char *ptr = buf;
    int n = 5;
    volatile nlog_category cat = NLOG_CAT_API; /* a value the compiler cannot know */
    nlog_field lit[] = {NLOG_CTX("k", "v"), NLOG_CTX("k", 5), NLOG_META("k", n), NLOG_PERF("k", 0.5),
                        NLOG_CTX("k", true), NLOG_CTX("k", NULL), NLOG_CATEGORY(NLOG_CAT_API)};
    for (size_t i = 0; i < sizeof lit / sizeof lit[0]; i++)
        if (lit[i].hints != NLOG__HINT_LITERAL)
            fail_msg("field %zu: no literal mark", i);
    nlog_field dyn[] = {NLOG_CTX(buf, "v"), NLOG_CTX("k", buf), NLOG_CTX("k", ptr),
                        NLOG_CTX(ptr, 1), NLOG_CATEGORY(cat), NLOG_CATEGORY(200)};
    for (size_t i = 0; i < sizeof dyn / sizeof dyn[0]; i++)
        if (dyn[i].hints != 0)
            fail_msg("field %zu: marked although not a literal", i);
    /* the constructors never mark */
    assert_int_equal(nlog_field_str(NLOG_GROUP_CONTEXT, "k", "v").hints, 0);
}

/* With the macros' proof (trust), marked fields skip the pointer checks; an
 * unmarked field is still checked, and without trust marks are ignored. */
static void trust_uses_marks_only_when_given(void **state)
{
    (void) state;
    nlog_logger *lg = nlog_get_logger("codec.trust");
    char buf[] = "dynamic";
    nlog_site site = {"file.c", "fn", 1};
    nlog_field marked = nlog__field_hint(nlog_field_str(NLOG_GROUP_CONTEXT, "k", buf), 1);
    nlog_field unmarked = nlog_field_str(NLOG_GROUP_CONTEXT, "k", buf);
    unsigned all = NLOG__TRUST_SITE | NLOG__TRUST_MSG | NLOG__TRUST_FIELDS;
    assert_true(nlog__qrec_write_static(entry, lg, 2, all, &site, "m", &marked, 1));
    assert_false(nlog__qrec_write_static(entry, lg, 2, all, &site, "m", &unmarked, 1));
    assert_false(nlog__qrec_write_static(entry, lg, 2, 0, &site, "m", &marked, 1));
    assert_true(nlog__qrec_write_static(entry, lg, 2, NLOG__TRUST_MSG, &site, buf, NULL, 0));
    assert_false(nlog__qrec_write_static(entry, lg, 2, 0, &site, buf, NULL, 0));
    nlog_site dyn_site = {buf, "fn", 1};
    assert_true(nlog__qrec_write_static(entry, lg, 2, NLOG__TRUST_SITE, &dyn_site, "m", NULL, 0));
    assert_false(nlog__qrec_write_static(entry, lg, 2, 0, &dyn_site, "m", NULL, 0));
}

static void budget_cuts_message_first_then_fields(void **state)
{
    (void) state;
    nlog_logger *lg = nlog_get_logger("codec.budget");
    char *big = malloc(3000);
    memset(big, 'm', 3000);
    nlog_field in[] = {
        nlog_field_strn(NLOG_GROUP_CONTEXT, "v1", big, 500),
        nlog_field_strn(NLOG_GROUP_CONTEXT, "v2", big, 500),
    };
    nlog__qcall c = {.logger = lg, .level_index = 2, .msg = big, .msg_len = 700,
                     .fields = in, .n_fields = 2};
    nlog__record r;
    nlog_field f[NLOG_FIELDS_MAX];
    uint32_t size;
    roundtrip(&c, 1000, &r, f, &size);
    assert_int_equal(r.message_len, 700);
    assert_int_equal(r.fields[0].len, 300);
    assert_int_equal(r.fields[1].len, 0);
    assert_true(head()->flags & NLOG__QF_TRUNC);
    /* a key longer than the cap is cut, the record is still readable */
    char *key = malloc(NLOG__QKEY_MAX + 100);
    memset(key, 'k', NLOG__QKEY_MAX + 99);
    key[NLOG__QKEY_MAX + 99] = '\0';
    nlog_field lk = nlog_field_int(NLOG_GROUP_METADATA, key, 5);
    nlog__qcall c2 = {.logger = lg, .level_index = 2, .msg = "m", .msg_len = 1,
                      .fields = &lk, .n_fields = 1};
    roundtrip(&c2, 65536, &r, f, &size);
    assert_int_equal(strlen(r.fields[0].key), NLOG__QKEY_MAX);
    assert_int_equal(r.fields[0].v.i, 5);
    free(key);
    free(big);
}

static int setup(void **state)
{
    (void) state;
    nlog_config cfg;
    tu_config(&cfg, NULL);
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    nlog__static_ranges_init();
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
        cmocka_unit_test(static_ranges_cover_literals_only),
        cmocka_unit_test(every_type_survives),
        cmocka_unit_test(literals_are_not_copied),
        cmocka_unit_test(fast_path_takes_static_calls_only),
        cmocka_unit_test(macros_mark_literals_only),
        cmocka_unit_test(trust_uses_marks_only_when_given),
        cmocka_unit_test(budget_cuts_message_first_then_fields),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
