/* test_spool.c: the remote output's on-disk queue (src/sink/spool.c):
 * order, persistence across reopening, the size cap with eviction of
 * ordinary batches, the extra room for SECURITY/AUDIT batches, leftovers of
 * an interrupted write, the directory lock, and the batch in flight (never
 * evicted, removed by its sequence number). */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "sink/spool.h"

static nlog__spool_meta meta(const char *id, int level_index, uint64_t n)
{
    nlog__spool_meta m;
    memset(&m, 0, sizeof m);
    snprintf(m.batch_id, sizeof m.batch_id, "%s", id);
    m.counts[level_index] = n;
    return m;
}

static void test_order_and_reopen(void **state)
{
    (void) state;
    const char *dir = tu_scratch("spool_order");
    nlog__spool *s;
    assert_int_equal(nlog__spool_open(dir, 1 << 20, &s), NLOG_OK);
    char body[100];
    for (int i = 0; i < 5; i++) {
        char id[40];
        snprintf(id, sizeof id, "%032x", i + 1);
        nlog__spool_meta m = meta(id, 2, (uint64_t) i + 1);
        memset(body, 'a' + i, sizeof body);
        assert_int_equal(nlog__spool_put(s, &m, body, sizeof body, NULL), NLOG_OK);
    }
    nlog__spool *other;
    assert_int_equal(nlog__spool_open(dir, 1 << 20, &other), NLOG_ESTATE); /* locked */
    nlog__spool_close(s);
    /* an interrupted write leaves a .tmp file: removed at open */
    int fd = open(tu_path(dir, "00000000000000000099-x.batch.tmp"), O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(nlog__spool_open(dir, 1 << 20, &s), NLOG_OK);
    assert_int_equal(nlog__spool_count(s), 5);
    assert_int_equal(access(tu_path(dir, "00000000000000000099-x.batch.tmp"), F_OK), -1);
    for (int i = 0; i < 5; i++) {
        nlog__spool_meta m;
        void *b;
        size_t len;
        uint64_t lost[NLOG_LEVEL_COUNT] = {0}, seq;
        assert_int_equal(nlog__spool_peek(s, &m, &b, &len, lost, &seq), 1);
        assert_int_equal(len, sizeof body);
        assert_int_equal(((char *) b)[0], 'a' + i); /* oldest first */
        assert_int_equal(m.counts[2], (uint64_t) i + 1);
        free(b);
        nlog__spool_pop(s, seq);
    }
    assert_int_equal(nlog__spool_count(s), 0);
    assert_int_equal(nlog__spool_bytes(s), 0);
    nlog__spool_close(s);
}

static void test_cap(void **state)
{
    (void) state;
    const char *dir = tu_scratch("spool_cap");
    nlog__spool *s;
    static char body[4000];
    memset(body, 'x', sizeof body);
    assert_int_equal(nlog__spool_open(dir, 10000, &s), NLOG_OK);
    nlog__spool_meta sec = meta("00000000000000000000000000000001", 6, 1); /* SECURITY */
    nlog__spool_meta info = meta("00000000000000000000000000000002", 2, 10);
    uint64_t ev[NLOG_LEVEL_COUNT] = {0};
    assert_int_equal(nlog__spool_put(s, &sec, body, sizeof body, ev), NLOG_OK);
    assert_int_equal(nlog__spool_put(s, &info, body, sizeof body, ev), NLOG_OK);
    /* a third ordinary batch evicts the oldest ordinary one, never the SECURITY one */
    assert_int_equal(nlog__spool_put(s, &info, body, sizeof body, ev), NLOG_OK);
    assert_int_equal(ev[2], 10);
    assert_int_equal(nlog__spool_count(s), 2);
    /* SECURITY batches may use a second cap's worth, ordinary ones not */
    memset(ev, 0, sizeof ev);
    assert_int_equal(nlog__spool_put(s, &sec, body, sizeof body, ev), NLOG_OK);
    assert_int_equal(ev[2], 10); /* the ordinary batch made room first */
    assert_int_equal(nlog__spool_put(s, &sec, body, sizeof body, ev), NLOG_OK);
    assert_true(nlog__spool_bytes(s) > 10000);
    assert_int_equal(nlog__spool_put(s, &info, body, sizeof body, ev), NLOG_ELIMIT);
    assert_int_equal(nlog__spool_put(s, &sec, body, sizeof body, ev), NLOG_OK);
    assert_int_equal(nlog__spool_put(s, &sec, body, sizeof body, ev), NLOG_ELIMIT); /* > 2 caps */
    nlog__spool_close(s);
}

/* The remote output sends the peeked batch without the spool's lock; a
 * spill meanwhile must not evict it, and its pop must not remove another. */
static void test_in_flight(void **state)
{
    (void) state;
    const char *dir = tu_scratch("spool_flight");
    nlog__spool *s;
    static char body[4000];
    memset(body, 'x', sizeof body);
    assert_int_equal(nlog__spool_open(dir, 10000, &s), NLOG_OK);
    nlog__spool_meta a = meta("0000000000000000000000000000000a", 1, 7);  /* DEBUG */
    nlog__spool_meta b = meta("0000000000000000000000000000000b", 6, 3);  /* SECURITY */
    nlog__spool_meta c = meta("0000000000000000000000000000000c", 2, 5);  /* INFO */
    uint64_t ev[NLOG_LEVEL_COUNT] = {0}, lost[NLOG_LEVEL_COUNT] = {0}, seq;
    assert_int_equal(nlog__spool_put(s, &a, body, sizeof body, ev), NLOG_OK);
    assert_int_equal(nlog__spool_put(s, &b, body, sizeof body, ev), NLOG_OK);
    nlog__spool_meta m;
    void *got;
    size_t len;
    assert_int_equal(nlog__spool_peek(s, &m, &got, &len, lost, &seq), 1); /* a, in flight */
    free(got);
    assert_string_equal(m.batch_id, a.batch_id);
    /* a spill while a is being sent: a cannot be evicted, b is protected */
    assert_int_equal(nlog__spool_put(s, &c, body, sizeof body, ev), NLOG_ELIMIT);
    assert_int_equal(ev[1], 0); /* a was not counted as dropped */
    nlog__spool_pop(s, seq);    /* a delivered: removes a, not b */
    assert_int_equal(nlog__spool_count(s), 1);
    assert_int_equal(nlog__spool_peek(s, &m, &got, &len, lost, &seq), 1);
    free(got);
    assert_string_equal(m.batch_id, b.batch_id);
    /* a pop of a batch that is gone removes nothing */
    nlog__spool_pop(s, seq + 1000);
    assert_int_equal(nlog__spool_count(s), 1);
    /* not delivered: unpinned, it may be evicted again if ordinary */
    nlog__spool_unpin(s);
    nlog__spool_pop(s, seq);
    assert_int_equal(nlog__spool_count(s), 0);
    assert_int_equal(nlog__spool_put(s, &a, body, sizeof body, ev), NLOG_OK);
    assert_int_equal(nlog__spool_peek(s, &m, &got, &len, lost, &seq), 1);
    free(got);
    nlog__spool_unpin(s);
    assert_int_equal(nlog__spool_put(s, &c, body, sizeof body, ev), NLOG_OK);
    assert_int_equal(nlog__spool_put(s, &c, body, sizeof body, ev), NLOG_OK);
    assert_int_equal(ev[1], 7); /* the unpinned ordinary batch made room */
    nlog__spool_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_reopen),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_in_flight),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
