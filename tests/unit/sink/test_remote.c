/* test_remote.c: the remote output without a server (src/sink/remote.c):
 * records logged while nothing listens at server_url end in the spool, not
 * in a blocked call; a full spool drops ordinary records and counts them,
 * and keeps SECURITY/AUDIT records (up to its extra room), never dropping
 * them silently; a spill while a spooled batch is being sent (the sender
 * holds no lock during the POST) neither deletes that batch nor the next
 * one, checked deterministically through the sender's test hook against a
 * small in-process HTTP server. Delivery to a real nlogd is tested by
 * tests/integration/server/test_server.py (kill9, demo). */
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "sink/remote.h"
#include "sink/spool.h"

static void setup(nlog_config *cfg, const char *dir, const char *cap)
{
    nlog_error err;
    tu_config(cfg, dir);
    cfg->file_enabled = 0;
    if (nlog_config_set(cfg, "server_url", "http://127.0.0.1:1", &err) != NLOG_OK ||
        nlog_config_set(cfg, "server_spool_max_size", cap, &err) != NLOG_OK ||
        nlog_config_set(cfg, "server_flush_interval_ms", "20", &err) != NLOG_OK)
        fail_msg("%s", err.message);
    assert_int_equal(nlog_init(cfg), NLOG_OK);
}

/* Records held by the spool now, by level, read from the batch headers. */
static void spool_records(const char *dir_in, uint64_t counts[NLOG_LEVEL_COUNT])
{
    char dir[1024]; /* tu_path() reuses its buffers */
    snprintf(dir, sizeof dir, "%s", dir_in);
    DIR *d = opendir(dir);
    memset(counts, 0, NLOG_LEVEL_COUNT * sizeof counts[0]);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n <= 6 || strcmp(de->d_name + n - 6, ".batch") != 0)
            continue;
        FILE *f = fopen(tu_path(dir, de->d_name), "rb");
        unsigned long long c[NLOG_LEVEL_COUNT];
        char id[40];
        assert_non_null(f);
        assert_int_equal(fscanf(f, "nlog-spool 1 %39s %llu %llu %llu %llu %llu %llu %llu %llu",
                                id, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7]),
                         9);
        fclose(f);
        for (int i = 0; i < NLOG_LEVEL_COUNT; i++)
            counts[i] += c[i];
    }
    closedir(d);
}

static long long spool_bytes(const char *dir_in, size_t *ret_files)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", dir_in);
    DIR *d = opendir(dir);
    long long total = 0;
    *ret_files = 0;
    if (!d)
        return 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n > 6 && strcmp(de->d_name + n - 6, ".batch") == 0) {
            struct stat st;
            if (stat(tu_path(dir, de->d_name), &st) == 0)
                total += st.st_size;
            (*ret_files)++;
        }
    }
    closedir(d);
    return total;
}

static nlog_counters counters(void)
{
    nlog_counters c;
    memset(&c, 0, sizeof c);
    c.struct_size = sizeof c;
    assert_int_equal(nlog_stats(&c), NLOG_OK);
    return c;
}

static void test_unreachable_server_spools(void **state)
{
    (void) state;
    const char *dir = tu_scratch("remote_spool");
    char logs[1024];
    snprintf(logs, sizeof logs, "%s", dir);
    nlog_config cfg;
    tu_diag_capture();
    nlog_counters before = counters();
    setup(&cfg, logs, "64MB");
    nlog_logger *lg = nlog_get_logger("remote.test");
    for (int i = 0; i < 20000; i++)
        NLOG_INFO(lg, "record", NLOG_CTX("i", i));
    NLOG_SECURITY(lg, "login failed", NLOG_META("user_id", "u1"));
    assert_int_equal(nlog_flush(), NLOG_OK); /* returns once spooled */
    nlog_shutdown();
    nlog_counters c = counters();
    assert_int_equal(c.remote_spooled - before.remote_spooled, 20001);
    assert_int_equal(c.remote_sent - before.remote_sent, 0);
    assert_true(c.remote_retries > before.remote_retries);
    size_t files;
    assert_true(spool_bytes(tu_path(logs, "spool"), &files) > 0);
    assert_true(files > 0);
    assert_true(tu_diag_contains("cannot deliver to http://127.0.0.1:1"));
    tu_diag_reset();
}

static void test_full_spool_counts_and_protects(void **state)
{
    (void) state;
    const char *dir = tu_scratch("remote_full");
    char logs[1024];
    snprintf(logs, sizeof logs, "%s", dir);
    nlog_config cfg;
    tu_diag_capture();
    nlog_counters before = counters();
    setup(&cfg, logs, "1MB");
    nlog_logger *lg = nlog_get_logger("remote.full");
    char msg[200];
    unsigned x = 1;
    size_t sec = 0;
    for (int i = 0; i < 120000; i++) {
        for (int k = 0; k < 12; k++) { /* poorly compressible text */
            x = x * 1103515245u + 12345u;
            snprintf(msg + k * 8, sizeof msg - (size_t) k * 8, "%08x", x);
        }
        if (i % 500 == 0) {
            NLOG_SECURITY(lg, "security event", NLOG_META("payload", msg));
            sec++;
        } else {
            NLOG_INFO(lg, "ordinary", NLOG_META("payload", msg));
        }
    }
    nlog_shutdown();
    nlog_counters c = counters();
    uint64_t dropped = 0;
    for (int l = 0; l < NLOG_LEVEL_COUNT; l++)
        dropped += c.dropped[l] - before.dropped[l];
    uint64_t lost_sec = c.dropped[nlog_level_index(NLOG_LEVEL_SECURITY)] -
                        before.dropped[nlog_level_index(NLOG_LEVEL_SECURITY)];
    assert_true(dropped > 0);   /* the cap was reached: ordinary records dropped, counted */
    assert_int_equal(lost_sec, 0); /* SECURITY is never counted as dropped... */
    /* Every record is in the spool, or counted: ordinary ones as dropped,
     * SECURITY ones (past twice the cap) as failed. */
    uint64_t held[NLOG_LEVEL_COUNT], held_all = 0;
    spool_records(tu_path(logs, "spool"), held);
    for (int l = 0; l < NLOG_LEVEL_COUNT; l++)
        held_all += held[l];
    uint64_t failed = c.records_failed - before.records_failed;
    assert_int_equal(held_all + dropped + failed, 120000);
    assert_int_equal(held[nlog_level_index(NLOG_LEVEL_SECURITY)] + failed, sec);
    size_t files;
    long long bytes = spool_bytes(tu_path(logs, "spool"), &files);
    assert_true(bytes <= 2 * 1048576);
    assert_true(tu_diag_contains("the spool is full"));
    tu_diag_reset();
}

/* ---- a minimal HTTP server that takes every batch and records its id ---- */

typedef struct mini {
    int lfd, port;
    pthread_t thread;
    pthread_mutex_t lock;
    char ids[256][72];
    size_t n_ids;
} mini;

static void *mini_main(void *arg)
{
    mini *m = arg;
    static char buf[1 << 20];
    for (;;) {
        int c = accept(m->lfd, NULL, NULL);
        if (c < 0)
            return NULL; /* the listening socket was shut down */
        size_t have = 0;
        for (;;) { /* requests on one kept-alive connection */
            char *end;
            while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
                ssize_t n = have < sizeof buf ? recv(c, buf + have, sizeof buf - have, 0) : -1;
                if (n <= 0)
                    goto closed;
                have += (size_t) n;
            }
            size_t head = (size_t) (end - buf) + 4;
            buf[head - 1] = '\0';
            long len = 0;
            char id[72] = "";
            for (char *l = buf; l && *l; l = strstr(l, "\r\n") ? strstr(l, "\r\n") + 2 : NULL) {
                if (strncasecmp(l, "Content-Length:", 15) == 0)
                    len = atol(l + 15);
                if (strncasecmp(l, "X-Batch-Id: ", 12) == 0)
                    sscanf(l + 12, "%71[0-9a-f]", id);
            }
            while (have < head + (size_t) len) {
                ssize_t n = have < sizeof buf ? recv(c, buf + have, sizeof buf - have, 0) : -1;
                if (n <= 0)
                    goto closed;
                have += (size_t) n;
            }
            pthread_mutex_lock(&m->lock);
            if (m->n_ids < 256)
                snprintf(m->ids[m->n_ids++], sizeof m->ids[0], "%s", id);
            pthread_mutex_unlock(&m->lock);
            static const char ok[] = "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
                                     "Content-Length: 26\r\n\r\n{\"accepted\":1,\"rejected\":0}";
            if (send(c, ok, sizeof ok - 1, MSG_NOSIGNAL) < 0)
                break;
            memmove(buf, buf + head + (size_t) len, have - head - (size_t) len);
            have -= head + (size_t) len;
        }
    closed:
        close(c);
    }
}

static void mini_start(mini *m)
{
    memset(m, 0, sizeof *m);
    pthread_mutex_init(&m->lock, NULL);
    m->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(m->lfd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    assert_int_equal(bind(m->lfd, (struct sockaddr *) &a, sizeof a), 0);
    assert_int_equal(listen(m->lfd, 8), 0);
    assert_int_equal(getsockname(m->lfd, (struct sockaddr *) &a, &al), 0);
    m->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&m->thread, NULL, mini_main, m), 0);
}

static void mini_stop(mini *m)
{
    shutdown(m->lfd, SHUT_RDWR);
    pthread_join(m->thread, NULL);
    close(m->lfd);
    pthread_mutex_destroy(&m->lock);
}

static size_t mini_received(mini *m, const char *id)
{
    size_t n = 0;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->n_ids; i++)
        n += strcmp(m->ids[i], id) == 0;
    pthread_mutex_unlock(&m->lock);
    return n;
}

/* The hook: the sender, holding a sent batch not yet removed from the
 * spool, waits here until the test has made a logging thread spill. */
static pthread_mutex_t hook_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hook_cond = PTHREAD_COND_INITIALIZER;
static int hook_entered, hook_release;

static void hold_after_send(void)
{
    pthread_mutex_lock(&hook_lock);
    if (!hook_entered++) { /* the first spooled batch only */
        pthread_cond_broadcast(&hook_cond);
        while (!hook_release)
            pthread_cond_wait(&hook_cond, &hook_lock);
    }
    pthread_mutex_unlock(&hook_lock);
}

static void test_spill_while_sending(void **state)
{
    (void) state;
    const char *dir = tu_scratch("remote_flight");
    char logs[1024], spool[1100], url[64];
    snprintf(logs, sizeof logs, "%s", dir);
    snprintf(spool, sizeof spool, "%s/spool", logs);
    /* A spool left by an earlier run, nearly full (1 MiB cap): A, ordinary
     * (777 DEBUG records), then B, holding SECURITY records. */
    static char junk[600000];
    unsigned x = 7;
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char) ((x = x * 1103515245u + 12345u) >> 24);
    nlog__spool *sp;
    assert_int_equal(nlog__spool_open(spool, 1 << 20, &sp), NLOG_OK);
    nlog__spool_meta a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    snprintf(a.batch_id, sizeof a.batch_id, "%032x", 0xaaaa);
    snprintf(b.batch_id, sizeof b.batch_id, "%032x", 0xbbbb);
    a.counts[nlog_level_index(NLOG_LEVEL_DEBUG)] = 777;
    b.counts[nlog_level_index(NLOG_LEVEL_SECURITY)] = 5;
    assert_int_equal(nlog__spool_put(sp, &a, junk, 600000, NULL), NLOG_OK);
    assert_int_equal(nlog__spool_put(sp, &b, junk, 400000, NULL), NLOG_OK);
    nlog__spool_close(sp);

    mini srv;
    mini_start(&srv);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", srv.port);
    nlog__remote_sent_hook = hold_after_send;
    nlog_counters before = counters();
    nlog_config cfg;
    nlog_error err;
    tu_config(&cfg, logs);
    cfg.file_enabled = 0;
    if (nlog_config_set(&cfg, "server_url", url, &err) != NLOG_OK ||
        nlog_config_set(&cfg, "server_spool_max_size", "1MB", &err) != NLOG_OK)
        fail_msg("%s", err.message);
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    nlog_logger *lg = nlog_get_logger("remote.flight");
    NLOG_INFO(lg, "start the sender");
    pthread_mutex_lock(&hook_lock);
    while (!hook_entered) /* A was POSTed and is not yet removed */
        pthread_cond_wait(&hook_cond, &hook_lock);
    pthread_mutex_unlock(&hook_lock);
    /* Over 8 MiB in memory with the sender busy: this thread spills to the
     * full spool, which evicts old ordinary batches to make room. */
    char msg[400];
    for (int i = 0; i < 24000; i++) {
        for (int k = 0; k < 40; k++) {
            x = x * 1103515245u + 12345u;
            snprintf(msg + k * 8, sizeof msg - (size_t) k * 8, "%08x", x);
        }
        NLOG_INFO(lg, "spill", NLOG_META("payload", msg));
    }
    pthread_mutex_lock(&hook_lock);
    hook_release = 1;
    pthread_cond_broadcast(&hook_cond);
    pthread_mutex_unlock(&hook_lock);
    nlog_shutdown();
    nlog__remote_sent_hook = NULL;
    mini_stop(&srv);
    nlog_counters c = counters();
    /* A was delivered once and never counted as dropped; B, never sent when
     * A's pop removed "the head", is delivered too. */
    assert_int_equal(mini_received(&srv, a.batch_id), 1);
    assert_int_equal(mini_received(&srv, b.batch_id), 1);
    assert_int_equal(c.dropped[nlog_level_index(NLOG_LEVEL_DEBUG)] -
                         before.dropped[nlog_level_index(NLOG_LEVEL_DEBUG)], 0);
    assert_int_equal(c.records_failed - before.records_failed, 0);
    assert_true(c.remote_spooled + c.dropped[nlog_level_index(NLOG_LEVEL_INFO)] >
                before.remote_spooled + before.dropped[nlog_level_index(NLOG_LEVEL_INFO)]);
    uint64_t held[NLOG_LEVEL_COUNT];
    spool_records(spool, held);
    assert_int_equal(held[nlog_level_index(NLOG_LEVEL_SECURITY)], 0); /* nothing left behind */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spill_while_sending),
        cmocka_unit_test(test_unreachable_server_spools),
        cmocka_unit_test(test_full_spool_counts_and_protects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
