/* test_security_crypt.c: client-side field encryption end to end. Records
 * logged with encrypt_fields carry ciphertext only; the decryptor restores
 * every value with its type; a value moved to another record, another field
 * or another group, an altered byte, a changed timestamp or a cut value fails
 * authentication; a wrong key fails cleanly with "wrong key"; the data key
 * is renewed after encryption_batch_records records, each record stays
 * decryptable on its own, and a child process after fork() never reuses its
 * parent's data key. */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sec_testutil.h"

#include "core/pipeline.h"
#include "security/redact.h"

static char pub[NLOG_ENCRYPTION_KEY_B64_SIZE], sec[NLOG_ENCRYPTION_KEY_B64_SIZE];

static void start(const char *dir, int async, int batch)
{
    nlog_config c;
    nlog_error err;
    tu_config(&c, dir);
    c.async = async;
    c.encryption_batch_records = batch;
    assert_int_equal(nlog_config_set(&c, "encrypt_fields", "card, ssn, amount, flag, ratio", &err),
                     NLOG_OK);
    snprintf(c.encryption_public_key, sizeof c.encryption_public_key, "%s", pub);
    assert_int_equal(nlog_init(&c), NLOG_OK);
}

/* Decrypts one field of a parsed record; returns the status. */
static nlog_status open_field(nlog_decryptor *d, json_object *rec, const char *group,
                              const char *key, char *out, size_t size)
{
    int64_t t;
    const char *ts = sec_str(rec, "timestamp");
    assert_non_null(ts);
    assert_int_equal(nlog_timestamp_parse(ts, strlen(ts), &t), NLOG_OK);
    char path[128];
    snprintf(path, sizeof path, "%s.%s", group, key);
    const char *v = sec_str(rec, path);
    const char *marker = sec_str(rec, "metadata.nlog_encryption");
    assert_non_null(v);
    assert_non_null(marker);
    return nlog_decryptor_open(d, marker, t, group, key, v, strlen(v), out, size);
}

static void round_trip_with_types(void **state)
{
    (void) state;
    const char *dir = tu_scratch("crypt_round");
    start(dir, 0, 1000);
    nlog_logger *lg = nlog_get_logger("pay");
    NLOG_INFO(lg, "charge", NLOG_CTX("card", "4111111111111111"), NLOG_META("amount", 4200),
              NLOG_META("flag", true), NLOG_PERF("ratio", 0.045), NLOG_CTX("user_id", "u1"),
              NLOG_META("ssn", "quote\" and \\ and \n newline"));
    nlog_shutdown();
    size_t n;
    json_object **r = sec_records(dir, "netlink.log", &n);
    assert_int_equal(n, 1);
    /* nothing in clear, the rest untouched */
    assert_false(sec_contains_file(tu_path(dir, "netlink.log"), "4111"));
    assert_string_equal(sec_str(r[0], "context.user_id"), "u1");
    assert_true(strncmp(sec_str(r[0], "context.card"), "enc1:", 5) == 0);
    assert_true(strncmp(sec_str(r[0], "metadata.amount"), "enc1:", 5) == 0);
    assert_true(strncmp(sec_str(r[0], "metadata.nlog_encryption"), "1.", 2) == 0);

    nlog_decryptor *d;
    char out[512];
    assert_int_equal(nlog_decryptor_create(sec, &d), NLOG_OK);
    assert_int_equal(open_field(d, r[0], "context", "card", out, sizeof out), NLOG_OK);
    assert_string_equal(out, "\"4111111111111111\"");
    assert_int_equal(open_field(d, r[0], "metadata", "amount", out, sizeof out), NLOG_OK);
    assert_string_equal(out, "4200");
    assert_int_equal(open_field(d, r[0], "metadata", "flag", out, sizeof out), NLOG_OK);
    assert_string_equal(out, "true");
    assert_int_equal(open_field(d, r[0], "performance_data", "ratio", out, sizeof out), NLOG_OK);
    assert_string_equal(out, "0.045");
    assert_int_equal(open_field(d, r[0], "metadata", "ssn", out, sizeof out), NLOG_OK);
    assert_string_equal(out, "\"quote\\\" and \\\\ and \\n newline\"");
    /* too small an output buffer */
    assert_int_equal(open_field(d, r[0], "context", "card", out, 8), NLOG_ELIMIT);
    nlog_decryptor_destroy(d);
    sec_free_records(r);
}

static void moved_altered_or_cut_values_fail(void **state)
{
    (void) state;
    const char *dir = tu_scratch("crypt_swap");
    start(dir, 0, 1000);
    nlog_logger *lg = nlog_get_logger("pay");
    NLOG_INFO(lg, "one", NLOG_CTX("card", "1111"), NLOG_META("ssn", "aaa"), NLOG_META("amount", 1));
    NLOG_INFO(lg, "two", NLOG_CTX("card", "2222"), NLOG_META("ssn", "bbb"));
    nlog_shutdown();
    size_t n;
    json_object **r = sec_records(dir, "netlink.log", &n);
    assert_int_equal(n, 2);
    /* same data key, consecutive records */
    const char *m0 = sec_str(r[0], "metadata.nlog_encryption");
    const char *m1 = sec_str(r[1], "metadata.nlog_encryption");
    assert_int_equal(memcmp(m0, m1, 36), 0);
    nlog_decryptor *d;
    char out[256];
    int64_t t0, t1;
    assert_int_equal(nlog_decryptor_create(sec, &d), NLOG_OK);
    assert_int_equal(nlog_timestamp_parse(sec_str(r[0], "timestamp"), 27, &t0), NLOG_OK);
    assert_int_equal(nlog_timestamp_parse(sec_str(r[1], "timestamp"), 27, &t1), NLOG_OK);
    const char *card0 = sec_str(r[0], "context.card"), *card1 = sec_str(r[1], "context.card");
    const char *ssn0 = sec_str(r[0], "metadata.ssn");
    assert_int_equal(nlog_decryptor_open(d, m0, t0, "context", "card", card0, strlen(card0), out,
                                         sizeof out), NLOG_OK);
    assert_string_equal(out, "\"1111\"");
    /* record 1's value in record 0 (marker and time of record 0) */
    assert_int_equal(nlog_decryptor_open(d, m0, t0, "context", "card", card1, strlen(card1), out,
                                         sizeof out), NLOG_EINVAL);
    assert_non_null(strstr(nlog_errmsg(), "authentication failed"));
    /* with record 1's marker but record 0's time */
    assert_int_equal(nlog_decryptor_open(d, m1, t0, "context", "card", card1, strlen(card1), out,
                                         sizeof out), NLOG_EINVAL);
    /* a time one microsecond off */
    assert_int_equal(nlog_decryptor_open(d, m0, t0 + 1000, "context", "card", card0,
                                         strlen(card0), out, sizeof out), NLOG_EINVAL);
    /* into another field of the same group, and into another group */
    assert_int_equal(nlog_decryptor_open(d, m0, t0, "metadata", "ssn", card0, strlen(card0), out,
                                         sizeof out), NLOG_EINVAL);
    assert_int_equal(nlog_decryptor_open(d, m0, t0, "context", "ssn", ssn0, strlen(ssn0), out,
                                         sizeof out), NLOG_EINVAL);
    assert_int_equal(nlog_decryptor_open(d, m0, t0, "metadata", "card", card0, strlen(card0), out,
                                         sizeof out), NLOG_EINVAL);
    /* one altered character, and a cut value */
    char bad[512];
    snprintf(bad, sizeof bad, "%s", card0);
    bad[10] = bad[10] == 'A' ? 'B' : 'A';
    assert_int_equal(nlog_decryptor_open(d, m0, t0, "context", "card", bad, strlen(bad), out,
                                         sizeof out), NLOG_EINVAL);
    assert_int_equal(nlog_decryptor_open(d, m0, t0, "context", "card", card0, strlen(card0) - 4,
                                         out, sizeof out), NLOG_EINVAL);
    /* a marker whose wrapped key was altered */
    snprintf(bad, sizeof bad, "%s", m0);
    size_t ml = strlen(bad);
    bad[ml - 6] = bad[ml - 6] == 'A' ? 'B' : 'A';
    assert_int_equal(nlog_decryptor_open(d, bad, t0, "context", "card", card0, strlen(card0), out,
                                         sizeof out), NLOG_EINVAL);
    /* a malformed marker */
    assert_int_equal(nlog_decryptor_open(d, "2.x", t0, "context", "card", card0, strlen(card0), out,
                                         sizeof out), NLOG_EINVAL);
    assert_non_null(strstr(nlog_errmsg(), "malformed"));
    nlog_decryptor_destroy(d);

    /* another key: a clean "wrong key" */
    char p2[NLOG_ENCRYPTION_KEY_B64_SIZE], s2[NLOG_ENCRYPTION_KEY_B64_SIZE];
    assert_int_equal(nlog_encryption_keypair(p2, s2), NLOG_OK);
    assert_int_equal(nlog_decryptor_create(s2, &d), NLOG_OK);
    assert_int_equal(nlog_decryptor_open(d, m0, t0, "context", "card", card0, strlen(card0), out,
                                         sizeof out), NLOG_EINVAL);
    assert_non_null(strstr(nlog_errmsg(), "wrong key"));
    nlog_decryptor_destroy(d);
    assert_int_equal(nlog_decryptor_create("not a key", &d), NLOG_EINVAL);
    sec_free_records(r);
}

static void data_keys_rotate_per_batch_and_records_stand_alone(void **state)
{
    (void) state;
    const char *dir = tu_scratch("crypt_batch");
    start(dir, 1, 3); /* async: encrypted on the writer thread */
    nlog_logger *lg = nlog_get_logger("pay");
    for (int i = 0; i < 7; i++)
        NLOG_INFO(lg, "r", NLOG_CTX("card", i), NLOG_CTX("n", i));
    nlog_shutdown();
    size_t n;
    json_object **r = sec_records(dir, "netlink.log", &n);
    assert_int_equal(n, 7);
    nlog_decryptor *d;
    assert_int_equal(nlog_decryptor_create(sec, &d), NLOG_OK);
    char dk[7][17];
    for (size_t i = 0; i < n; i++) {
        const char *m = sec_str(r[i], "metadata.nlog_encryption");
        if (!m || strlen(m) < 40) {
            fail_msg("record %zu: no marker", i);
            return;
        }
        memcpy(dk[i], m + 19, 16);
        dk[i][16] = '\0';
        char want[32], out[64];
        snprintf(want, sizeof want, "%zu", i);
        assert_int_equal(open_field(d, r[i], "context", "card", out, sizeof out), NLOG_OK);
        assert_string_equal(out, want);
        /* the sequence number restarts with each data key */
        char seq[8];
        snprintf(seq, sizeof seq, ".%zu.", i % 3);
        assert_non_null(strstr(m + 35, seq) == m + 35 ? m : NULL);
    }
    assert_string_equal(dk[0], dk[2]);
    assert_string_not_equal(dk[2], dk[3]);
    assert_string_equal(dk[3], dk[5]);
    assert_string_not_equal(dk[5], dk[6]);
    /* any single record decrypts with a fresh decryptor: self-sufficient */
    nlog_decryptor_destroy(d);
    assert_int_equal(nlog_decryptor_create(sec, &d), NLOG_OK);
    char out[64];
    assert_int_equal(open_field(d, r[4], "context", "card", out, sizeof out), NLOG_OK);
    assert_string_equal(out, "4");
    nlog_decryptor_destroy(d);
    sec_free_records(r);
}

static void a_forked_child_gets_its_own_data_key(void **state)
{
    (void) state;
    const char *dir = tu_scratch("crypt_fork");
    start(dir, 0, 1000);
    nlog_logger *lg = nlog_get_logger("pay");
    NLOG_INFO(lg, "parent", NLOG_CTX("card", "p1"));
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        NLOG_INFO(lg, "child", NLOG_CTX("card", "c1"));
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    NLOG_INFO(lg, "parent", NLOG_CTX("card", "p2"));
    nlog_shutdown();
    size_t n;
    json_object **r = sec_records(dir, "netlink.log", &n);
    assert_int_equal(n, 3);
    const char *child = NULL, *parent = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(sec_str(r[i], "message"), "child") == 0)
            child = sec_str(r[i], "metadata.nlog_encryption");
        else if (!parent)
            parent = sec_str(r[i], "metadata.nlog_encryption");
    }
    assert_non_null(child);
    assert_non_null(parent);
    assert_int_not_equal(memcmp(child + 19, parent + 19, 16), 0); /* different data keys */
    sec_free_records(r);
}

/* Review item 6: _Fork() runs no atfork handler, so the library's pid cache
 * still holds the parent's pid in the child. The child must still get a data
 * key of its own: with the parent's, its next nonce would be the one the
 * parent uses next (the same key and nonce for two plaintexts). The child
 * reports the marker and the value it wrote through a pipe, the parent
 * compares them with its own next record. */
static void a_child_of_raw_fork_never_reuses_the_parents_nonces(void **state)
{
    (void) state;
    const char *dir = tu_scratch("crypt_raw_fork");
    start(dir, 0, 1000);
    nlog_logger *lg = nlog_get_logger("pay");
    NLOG_INFO(lg, "parent", NLOG_CTX("card", "p1"));
    assert_int_equal(nlog_flush(), NLOG_OK);
    pid_t pid = _Fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        NLOG_INFO(lg, "child", NLOG_CTX("card", "c1"));
        (void) nlog_flush();
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    NLOG_INFO(lg, "parent", NLOG_CTX("card", "p2"));
    nlog_shutdown();
    size_t n;
    json_object **r = sec_records(dir, "netlink.log", &n);
    assert_int_equal(n, 3);
    const char *child = NULL, *child_v = NULL, *p2 = NULL, *p2_v = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(sec_str(r[i], "message"), "child") == 0) {
            child = sec_str(r[i], "metadata.nlog_encryption");
            child_v = sec_str(r[i], "context.card");
        } else if (i > 0) {
            p2 = sec_str(r[i], "metadata.nlog_encryption");
            p2_v = sec_str(r[i], "context.card");
        }
    }
    assert_non_null(child);
    assert_non_null(p2);
    /* another data key (dk: the 16 hex digits after "1.<rk>.") */
    assert_int_not_equal(memcmp(child + 19, p2 + 19, 16), 0);
    /* and another nonce: the first 24 bytes of the value, base64 after "enc1:" */
    assert_int_not_equal(memcmp(child_v + 5, p2_v + 5, 32), 0);
    /* both decrypt */
    nlog_decryptor *d;
    assert_int_equal(nlog_decryptor_create(sec, &d), NLOG_OK);
    char out[64];
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(open_field(d, r[i], "context", "card", out, sizeof out), NLOG_OK);
        assert_true(strstr(out, "p1") || strstr(out, "c1") || strstr(out, "p2"));
    }
    nlog_decryptor_destroy(d);
    sec_free_records(r);
}

/* Review item 8 (crash drain): a fatal-signal drain runs with
 * nlog__pipeline_no_alloc set and must not allocate. A thread that never
 * encrypted has no data key state: its encrypted fields are masked then,
 * never written in clear and never the cause of a malloc() in a signal
 * handler; a thread that has a key keeps encrypting. */
static const nlog__record *drain_record;
static nlog__redactor *drain_rd;
static char drain_out[256];

static void *drain_thread(void *arg)
{
    (void) arg;
    nlog__record out;
    const nlog__record *v = nlog__redact(drain_rd, drain_record, 1, &out);
    for (size_t i = 0; i < v->n_fields; i++)
        if (v->fields[i].key && strcmp(v->fields[i].key, "card") == 0)
            snprintf(drain_out, sizeof drain_out, "%.*s", (int) v->fields[i].len, v->fields[i].v.s);
    return NULL;
}

static void the_crash_drain_path_does_not_allocate_keys(void **state)
{
    (void) state;
    nlog_config in, cfg;
    nlog_error err;
    tu_config(&in, NULL);
    assert_int_equal(nlog_config_set(&in, "encrypt_fields", "card", &err), NLOG_OK);
    snprintf(in.encryption_public_key, sizeof in.encryption_public_key, "%s", pub);
    sec_resolved(&in, &cfg);
    assert_int_equal(nlog__redactor_create(&cfg, 4096, &drain_rd), NLOG_OK);
    nlog_field f[] = {NLOG_CTX("card", "4000-drain-secret")};
    nlog__record r = {.time_ns = SEC_T0, .level = NLOG_LEVEL_INFO, .category = "app",
                      .logger = "x", .logger_len = 1, .message = "m", .message_len = 1,
                      .fields = f, .n_fields = 1};
    drain_record = &r;
    pthread_t t;
    /* the batch workspace exists (the writer used it before the crash) */
    assert_int_equal(pthread_create(&t, NULL, drain_thread, NULL), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_true(strncmp(drain_out, "enc1:", 5) == 0);
    /* now a fresh thread drains: no key state may be made */
    nlog__pipeline_no_alloc = 1;
    assert_int_equal(pthread_create(&t, NULL, drain_thread, NULL), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    nlog__pipeline_no_alloc = 0;
    assert_string_equal(drain_out, "***");
    /* review item 8 (UBSan): a record time at the end of int64_t is no
     * overflow in the associated data's microseconds */
    r.time_ns = INT64_MIN;
    assert_int_equal(pthread_create(&t, NULL, drain_thread, NULL), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_true(strncmp(drain_out, "enc1:", 5) == 0);
    nlog__redactor_destroy(drain_rd);
}

static void without_a_key_encrypt_fields_are_masked(void **state)
{
    (void) state;
    const char *dir = tu_scratch("crypt_nokey");
    nlog_config c;
    nlog_error err;
    tu_config(&c, dir);
    assert_int_equal(nlog_config_set(&c, "encrypt_fields", "card", &err), NLOG_OK);
    tu_diag_capture();
    assert_int_equal(nlog_init(&c), NLOG_OK);
    NLOG_INFO(nlog_get_logger("x"), "m", NLOG_CTX("card", "4111-no-key"));
    nlog_shutdown();
    assert_true(tu_diag_contains("encryption_public_key is not"));
    nlog_set_diagnostics(NULL, NULL);
    assert_false(sec_contains_file(tu_path(dir, "netlink.log"), "4111-no-key"));
    assert_true(sec_contains_file(tu_path(dir, "netlink.log"), "\"card\":\"***\""));
}

static int setup(void **state)
{
    (void) state;
    return nlog_encryption_keypair(pub, sec) == NLOG_OK ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_with_types),
        cmocka_unit_test(moved_altered_or_cut_values_fail),
        cmocka_unit_test(data_keys_rotate_per_batch_and_records_stand_alone),
        cmocka_unit_test(a_forked_child_gets_its_own_data_key),
        cmocka_unit_test(a_child_of_raw_fork_never_reuses_the_parents_nonces),
        cmocka_unit_test(the_crash_drain_path_does_not_allocate_keys),
        cmocka_unit_test(without_a_key_encrypt_fields_are_masked),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
