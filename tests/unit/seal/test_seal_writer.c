/* test_seal_writer.c: what the writer of sealed files does, checked by
 * reading the files back and by the real verifier: checkpoints by count,
 * by interval (fake clock, the timer's pass run by hand) and at close, JSON
 * lines throughout; rotation (the segment ends with a checkpoint, the next
 * file starts with an anchor; zstd and gzip segments verify); no host state
 * (written unsealed, reported once; seal_required fails nlog_init); a text
 * main file; a state bound to another directory; a writer killed between
 * write(2) and its commit; a torn last line; a full disk; reconfiguration;
 * fork(); a new master key taking over; security.log and audit.log sealed
 * by default; the bytes sealing adds; old key slots wiped. No sleeps. */
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>

#include "platform/platform.h"
#include "seal/state.h"
#include "seal/timer.h"
#include "seal/wire.h"
#include "seal/reader.h"
#include "seal_util.h"
#include "sink/retention.h"

static const int64_t T0 = 1795478400LL * 1000000000LL; /* 2026-11-24T00:00:00Z */

static const char *log_path(const su_env *e)
{
    return tu_path(e->dir, "netlink.log");
}

/* Reason of the checkpoint in line l ("count", ...). */
static const char *reason(const char *l, char *buf, size_t size)
{
    const char *p = strstr(l, "\"reason\":\"");
    assert_non_null(p);
    p += 10;
    size_t n = (size_t) (strchr(p, '"') - p);
    snprintf(buf, size, "%.*s", (int) n, p);
    return buf;
}

static size_t count_ckpts(const su_lines *L)
{
    size_t n = 0;
    for (size_t i = 0; i < L->n; i++)
        n += su_is_ckpt(L->l[i]);
    return n;
}

static void checkpoints_by_count_and_at_close(void **state)
{
    (void) state;
    su_env e;
    su_env_init(&e, "count");
    tu_clock_fake(T0, 1000 * SU_SEC);
    su_init(&e, 4, NULL);
    su_records(1, 10);
    nlog_shutdown();
    assert_int_equal(tu_assert_json_lines(log_path(&e)), 14); /* anchor, 10 records, 3 checkpoints */
    su_lines L = su_read(log_path(&e));
    assert_true(su_is_anchor(L.l[0]));
    char b[32];
    unsigned long long seq = 0;
    for (size_t i = 1; i < L.n; i++) {
        if (su_is_ckpt(L.l[i]))
            continue;
        assert_int_equal(su_num(L.l[i], "seal"), ++seq);
    }
    assert_int_equal(seq, 10);
    assert_string_equal(reason(L.l[5], b, sizeof b), "count"); /* after record 4 */
    assert_string_equal(reason(L.l[10], b, sizeof b), "count");
    assert_string_equal(reason(L.l[13], b, sizeof b), "close");
    assert_int_equal(su_num(L.l[13], "first"), 9);
    su_free(&L);
    nlog_seal_report *r = su_verify(&e, NULL);
    su_assert_ok(r);
    const nlog_seal_log_summary *s = su_log(r, "netlink.log");
    assert_int_equal(s->records, 10);
    assert_int_equal(s->checkpoints, 3);
    assert_int_equal(s->sealed_first, 1);
    assert_int_equal(s->sealed_last, 10);
    assert_int_equal(s->trailing, 0);
    nlog_seal_report_destroy(r);
}

static void interval_checkpoints(void **state)
{
    (void) state;
    nlog__seal_timer_test_pause(1); /* only the passes run below write interval checkpoints */
    for (int async = 0; async < 2; async++) {
        su_env e;
        su_env_init(&e, async ? "interval_async" : "interval_sync");
        tu_clock_fake(T0, 1000 * SU_SEC);
        su_init(&e, 1000, "async", async ? "true" : "false", "seal_checkpoint_interval_ms", "1000",
                NULL);
        su_records(1, 3);
        assert_int_equal(nlog_flush(), NLOG_OK);
        nlog__seal_timer_run();
        su_lines L = su_read(log_path(&e));
        assert_int_equal(count_ckpts(&L), 0);
        su_free(&L);
        tu_clock_advance(999 * 1000000LL);
        nlog__seal_timer_run();
        L = su_read(log_path(&e));
        assert_int_equal(count_ckpts(&L), 0);
        su_free(&L);
        tu_clock_advance(1000000LL); /* the first record has waited 1000 ms */
        nlog__seal_timer_run();
        L = su_read(log_path(&e));
        assert_int_equal(count_ckpts(&L), 1);
        char b[32];
        assert_string_equal(reason(L.l[L.n - 1], b, sizeof b), "interval");
        assert_int_equal(su_num(L.l[L.n - 1], "last"), 3);
        su_free(&L);
        /* a record after a long pause: the writer closes the range itself */
        su_records(4, 4);
        assert_int_equal(nlog_flush(), NLOG_OK); /* async: the writer's clock is what counts */
        tu_clock_advance(2 * SU_SEC);
        su_records(5, 5);
        assert_int_equal(nlog_flush(), NLOG_OK);
        L = su_read(log_path(&e));
        assert_int_equal(count_ckpts(&L), 2);
        assert_int_equal(su_num(L.l[L.n - 1], "last"), 5);
        su_free(&L);
        nlog_seal_report *r = su_verify(&e, NULL);
        su_assert_ok(r);
        assert_int_equal(su_log(r, "netlink.log")->trailing, 0);
        nlog_seal_report_destroy(r);
        nlog_shutdown();
    }
    nlog__seal_timer_test_pause(0);
}

/* A compressed segment cut short: TRUNCATED, at the decompressed offset
 * where its readable lines end (the end of the last complete one). */
static void damaged_segment(const su_env *e, const char *seg)
{
    char path[4800];
    snprintf(path, sizeof path, "%s/%s", e->dir, seg);
    size_t len;
    char *data = tu_read_file(path, &len);
    assert_non_null(data);
    size_t cut = len * 9 / 10;
    uint64_t want = 0;
    nlog__seal_reader *rd;
    assert_int_equal(nlog__seal_reader_open_mem(data, cut, &rd), 0);
    for (;;) {
        const char *line;
        size_t n;
        uint64_t off = 0;
        nlog__seal_read rc = nlog__seal_reader_next(rd, &line, &n, &off);
        if (rc != NLOG__READ_LINE) {
            assert_int_equal(rc, NLOG__READ_ERROR);
            assert_int_equal(off, want);
            break;
        }
        want = off + n + 1;
    }
    nlog__seal_reader_close(rd);
    assert_true(want > 0);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, cut, f), cut);
    assert_int_equal(fclose(f), 0);
    free(data);
    nlog_seal_report *r = su_verify(e, NULL);
    assert_false(nlog_seal_report_ok(r));
    int found = 0;
    for (size_t i = 0; i < nlog_seal_report_n_problems(r); i++) {
        const nlog_seal_problem *p = nlog_seal_report_problem(r, i);
        if (p->kind == NLOG_SEAL_TRUNCATED && strstr(p->file, seg)) {
            assert_int_equal(p->offset, (int64_t) want);
            found = 1;
        }
    }
    if (!found)
        su_print(r);
    assert_true(found);
    nlog_seal_report_destroy(r);
}

static void damaged_compressed_segments(void **state)
{
    (void) state;
    for (int a = 0; a < 2; a++) {
        su_env e;
        su_env_init(&e, a ? "damaged_gzip" : "damaged_zstd");
        tu_clock_fake(T0, 1000 * SU_SEC);
        su_init(&e, 1000, "rotate", "hourly", "compression_enabled", "true", "compression",
                a ? "gzip" : "zstd", NULL);
        su_records(1, 700); /* more than one zstd block (128 KiB) */
        tu_clock_advance(3600 * SU_SEC);
        su_records(701, 702);
        nlog__maint_test_wait_idle();
        nlog_shutdown();
        char seg[256] = "";
        DIR *d = opendir(e.dir);
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
            if (strncmp(de->d_name, "netlink-", 8) == 0)
                snprintf(seg, sizeof seg, "%s", de->d_name);
        closedir(d);
        assert_non_null(strstr(seg, a ? ".gz" : ".zst"));
        damaged_segment(&e, seg);
    }
}

static void rotation_and_compressed_segments(void **state)
{
    (void) state;
    static const char *const algos[] = {"none", "zstd", "gzip"};
    for (int a = 0; a < 3; a++) {
        su_env e;
        char name[32];
        snprintf(name, sizeof name, "rotation_%s", algos[a]);
        su_env_init(&e, name);
        tu_clock_fake(T0, 1000 * SU_SEC);
        su_init(&e, 4, "rotate", "hourly", "compression_enabled", a ? "true" : "false",
                "compression", a == 2 ? "gzip" : "zstd", NULL);
        su_records(1, 3);
        tu_clock_advance(3600 * SU_SEC);
        su_records(4, 6);
        nlog__maint_test_wait_idle();
        nlog_shutdown();
        char seg[256] = "";
        DIR *d = opendir(e.dir);
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
            if (strncmp(de->d_name, "netlink-", 8) == 0)
                snprintf(seg, sizeof seg, "%s", de->d_name);
        closedir(d);
        const char *sfx = a == 0 ? ".log" : a == 1 ? ".log.zst" : ".log.gz";
        assert_string_equal(seg + strlen(seg) - strlen(sfx), sfx);
        if (a == 0) {
            su_lines S = su_read(tu_path(e.dir, seg));
            char b[32];
            assert_true(su_is_ckpt(S.l[S.n - 1]));
            assert_string_equal(reason(S.l[S.n - 1], b, sizeof b), "rotate");
            assert_int_equal(su_num(S.l[S.n - 1], "last"), 3);
            su_free(&S);
        }
        su_lines L = su_read(log_path(&e));
        assert_true(su_is_anchor(L.l[0]));
        assert_int_equal(su_num(L.l[0], "first"), 4);
        su_free(&L);
        nlog_seal_report *r = su_verify(&e, NULL);
        su_assert_ok(r);
        assert_int_equal(su_log(r, "netlink.log")->files, 2);
        assert_int_equal(su_log(r, "netlink.log")->sealed_last, 6);
        nlog_seal_report_destroy(r);
        /* the segment alone verifies too: its anchor ties it to the master key */
        const char *p[1] = {tu_path(e.dir, seg)};
        r = su_verify_with(e.pub, p, 1, NULL, 0);
        su_assert_ok(r);
        nlog_seal_report_destroy(r);
        p[0] = log_path(&e);
        r = su_verify_with(e.pub, p, 1, NULL, 0);
        su_assert_first(r, NLOG_SEAL_MISSING_SEGMENT, 1); /* its beginning is elsewhere */
        nlog_seal_report_destroy(r);
        r = su_verify_with(e.pub, p, 1, NULL, 1);          /* unless that is what we ask */
        su_assert_ok(r);
        nlog_seal_report_destroy(r);
    }
}

static void no_state_writes_unsealed_and_says_so(void **state)
{
    (void) state;
    const char *dir = tu_scratch("no_state");
    tu_diag_capture();
    nlog_config cfg;
    tu_config(&cfg, dir);
    cfg.seal = 1;
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    su_records(1, 5);
    nlog_shutdown();
    size_t n = 0;
    for (size_t i = 0; i < tu_diag_count(); i++)
        if (strstr(tu_diag_message(i), "UNSEALED")) {
            n++;
            assert_int_equal(tu_diag_kind(i), NLOG_DIAG_CONFIG);
        }
    assert_int_equal(n, 1); /* once, not once per record */
    assert_true(tu_diag_contains("nlog keygen --sealing"));
    su_lines L = su_read(tu_path(dir, "netlink.log"));
    assert_int_equal(L.n, 5); /* every record is there */
    for (size_t i = 0; i < L.n; i++)
        assert_null(strstr(L.l[i], "\"seal\":"));
    su_free(&L);
    nlog_set_diagnostics(NULL, NULL);

    /* seal_required: nlog_init refuses */
    tu_config(&cfg, dir);
    cfg.seal = 1;
    cfg.seal_required = 1;
    tu_diag_capture();
    assert_int_equal(nlog_init(&cfg), NLOG_ECONFIG);
    assert_true(tu_diag_contains("seal_required"));
    nlog_set_diagnostics(NULL, NULL);
    nlog_shutdown();
}

static size_t unsealed_reports(const char *file)
{
    size_t n = 0;
    for (size_t i = 0; i < tu_diag_count(); i++)
        if (strstr(tu_diag_message(i), "UNSEALED") && strstr(tu_diag_message(i), file))
            n++;
    return n;
}

/* security.log and audit.log are sealed by default: on a host never set up
 * for sealing (no key directory) they are written unsealed without a report,
 * and verification does not pass them; once the key directory exists, a
 * missing state is reported; seal_required refuses in both cases. */
static void default_sealing_needs_a_set_up_host(void **state)
{
    (void) state;
    su_env e;
    su_env_init(&e, "not_set_up"); /* for its public key only */
    const char *dir = tu_scratch("not_set_up_logs");
    nlog_config cfg;
    for (int set_up = 0; set_up < 2; set_up++) {
        if (set_up)
            assert_int_equal(mkdir(tu_path(dir, ".seal"), 0700), 0);
        tu_diag_capture();
        tu_config(&cfg, dir);
        assert_int_equal(nlog_init(&cfg), NLOG_OK);
        nlog_logger *lg = nlog_get_logger("auth");
        NLOG_SECURITY(lg, "login failed", NLOG_CTX("user", "bob"));
        NLOG_AUDIT(lg, "config changed", NLOG_CTX("key", "level"));
        nlog_shutdown();
        assert_int_equal(unsealed_reports("security.log"), (size_t) set_up);
        assert_int_equal(unsealed_reports("audit.log"), (size_t) set_up);
        nlog_set_diagnostics(NULL, NULL);
        const char *p[1] = {tu_path(dir, "security.log")};
        nlog_seal_report *r = su_verify_with(e.pub, p, 1, NULL, 0);
        assert_false(nlog_seal_report_ok(r)); /* never passed as sealed */
        su_assert_first(r, NLOG_SEAL_UNSEALED, 0);
        nlog_seal_report_destroy(r);

        tu_config(&cfg, dir);
        cfg.seal_required = 1;
        tu_diag_capture();
        assert_int_equal(nlog_init(&cfg), NLOG_ECONFIG);
        assert_true(tu_diag_contains("seal_required"));
        nlog_set_diagnostics(NULL, NULL);
        nlog_shutdown();
    }
}

static void text_main_file_is_not_sealed(void **state)
{
    (void) state;
    su_env e;
    su_env_init(&e, "text");
    tu_diag_capture();
    nlog_config cfg;
    tu_config(&cfg, e.dir);
    cfg.seal = 1;
    cfg.structured_enabled = 0;
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    assert_true(tu_diag_contains("only JSON lines can be sealed"));
    su_records(1, 2);
    nlog_shutdown();
    cfg.seal_required = 1;
    assert_int_equal(nlog_init(&cfg), NLOG_ECONFIG);
    nlog_set_diagnostics(NULL, NULL);
    nlog_shutdown();
}

static void state_belongs_to_one_directory(void **state)
{
    (void) state;
    su_env e;
    su_env_init(&e, "bound");
    char kd[4400], other[4400];
    snprintf(kd, sizeof kd, "%s/.seal", e.dir);
    snprintf(other, sizeof other, "%s/other", e.base);
    tu_clock_fake(T0, 1000 * SU_SEC);
    su_init(&e, 4, "seal_key_dir", kd, NULL);
    su_records(1, 2);
    nlog_shutdown();
    tu_diag_capture();
    nlog_config cfg;
    tu_config(&cfg, other);
    cfg.seal = 1;
    assert_true(strlen(kd) < sizeof cfg.seal_key_dir);
    memcpy(cfg.seal_key_dir, kd, strlen(kd) + 1);
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    su_records(1, 2);
    nlog_shutdown();
    assert_true(tu_diag_contains("belongs to the log"));
    nlog_set_diagnostics(NULL, NULL);
    nlog_seal_report *r = su_verify(&e, NULL); /* the first log is untouched */
    su_assert_ok(r);
    nlog_seal_report_destroy(r);
}

/* write(2) that kills the process right after its n-th call succeeded:
 * the write is in the file, its commit to the state is not. */
static int writes_left;
static ssize_t dying_write(int fd, const void *buf, size_t len)
{
    ssize_t n = write(fd, buf, len);
    if (--writes_left == 0)
        _exit(9);
    return n;
}

static void writer_killed_between_write_and_commit(void **state)
{
    (void) state;
    su_env e;
    su_env_init(&e, "killed");
    tu_clock_fake(T0, 1000 * SU_SEC);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        su_init(&e, 4, NULL);
        writes_left = 6; /* records 1..6; dies after writing record 6 */
        nlog__sys_write = dying_write;
        su_records(1, 10);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 9);
    su_lines L = su_read(log_path(&e));
    assert_true(su_find(&L, 6) >= 0 && su_find(&L, 7) < 0);
    su_free(&L);
    /* the next writer finds record 6 uncommitted and takes it as pending */
    su_init(&e, 4, NULL);
    su_records(7, 10);
    nlog_shutdown();
    nlog_seal_report *r = su_verify(&e, NULL);
    su_assert_ok(r);
    assert_int_equal(su_log(r, "netlink.log")->records, 10);
    assert_int_equal(su_log(r, "netlink.log")->sealed_last, 10);
    assert_int_equal(su_log(r, "netlink.log")->trailing, 0);
    nlog_seal_report_destroy(r);

    /* the same while another process has the state open: the writer dies
     * holding the writers' lock, and the survivor takes over from the log */
    su_env o;
    su_env_init(&o, "killed_holding");
    su_init(&o, 4, NULL);
    su_records(1, 2);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        writes_left = 3; /* records 3, 4 and 5: dies after writing 5, lock held */
        nlog__sys_write = dying_write;
        su_records(3, 10);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 9);
    su_records(6, 8);
    nlog_shutdown();
    r = su_verify(&o, NULL);
    su_assert_ok(r);
    assert_int_equal(su_log(r, "netlink.log")->records, 8);
    assert_int_equal(su_log(r, "netlink.log")->sealed_last, 8);
    nlog_seal_report_destroy(r);

    /* killed by SIGKILL while logging: nothing lost, nothing doubled */
    su_env k;
    su_env_init(&k, "sigkill");
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    if (pid == 0) {
        su_init(&k, 4, NULL);
        su_records(1, 7);
        char c = 'x';
        (void) write(fds[1], &c, 1);
        for (;;)
            pause();
    }
    char c;
    assert_int_equal(read(fds[0], &c, 1), 1);
    kill(pid, SIGKILL);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    close(fds[0]);
    close(fds[1]);
    r = su_verify(&k, NULL);
    su_assert_ok(r);
    assert_int_equal(su_log(r, "netlink.log")->trailing, 3); /* 5..7: unprotected until ... */
    nlog_seal_report_destroy(r);
    su_init(&k, 4, NULL); /* ... the next writer covers them */
    su_records(8, 8);
    nlog_shutdown();
    r = su_verify(&k, NULL);
    su_assert_ok(r);
    assert_int_equal(su_log(r, "netlink.log")->trailing, 0);
    assert_int_equal(su_log(r, "netlink.log")->sealed_last, 8);
    nlog_seal_report_destroy(r);
}

static void torn_last_line(void **state)
{
    (void) state;
    su_env e;
    su_env_init(&e, "torn");
    tu_clock_fake(T0, 1000 * SU_SEC);
    su_init(&e, 4, NULL);
    su_records(1, 6);
    nlog_shutdown();
    FILE *f = fopen(log_path(&e), "ab"); /* a power failure cut the last line */
    fputs("{\"timestamp\":\"2026-11-24T00:00:00.0", f);
    fclose(f);
    nlog_seal_report *r = su_verify(&e, NULL);
    su_assert_ok(r);
    assert_int_equal(su_log(r, "netlink.log")->partial_lines, 1);
    nlog_seal_report_destroy(r);
    su_init(&e, 4, NULL);
    su_records(7, 9);
    nlog_shutdown();
    su_lines L = su_read(log_path(&e)); /* the fragment stays a line of its own */
    size_t frag = 0;
    for (size_t i = 0; i < L.n; i++) {
        if (strcmp(L.l[i], "{\"timestamp\":\"2026-11-24T00:00:00.0") == 0)
            frag++;
        else
            json_object_put(tu_parse_json(L.l[i]));
    }
    assert_int_equal(frag, 1);
    su_free(&L);
    r = su_verify(&e, NULL);
    su_assert_ok(r);
    assert_int_equal(su_log(r, "netlink.log")->crash_fragments, 1);
    assert_int_equal(su_log(r, "netlink.log")->sealed_last, 9);
    nlog_seal_report_destroy(r);
}

static int failing;
static ssize_t full_disk(int fd, const void *buf, size_t len)
{
    if (__atomic_load_n(&failing, __ATOMIC_RELAXED)) {
        errno = ENOSPC;
        return -1;
    }
    return write(fd, buf, len);
}

static ssize_t half_write(int fd, const void *buf, size_t len)
{
    if (__atomic_load_n(&failing, __ATOMIC_RELAXED) && len > 10)
        return write(fd, buf, len / 2); /* then ENOSPC on the rest */
    if (__atomic_load_n(&failing, __ATOMIC_RELAXED)) {
        errno = ENOSPC;
        return -1;
    }
    return write(fd, buf, len);
}

static void disk_full(void **state)
{
    (void) state;
    for (int mode = 0; mode < 3; mode++) {
        su_env e;
        su_env_init(&e, mode == 0 ? "full_sync" : mode == 1 ? "full_async" : "full_short");
        tu_clock_fake(T0, 1000 * SU_SEC);
        tu_diag_capture();
        su_init(&e, 4, "async", mode == 1 ? "true" : "false", NULL);
        su_records(1, 3);
        assert_int_equal(nlog_flush(), NLOG_OK);
        nlog__sys_write = mode == 2 ? half_write : full_disk;
        __atomic_store_n(&failing, 1, __ATOMIC_RELAXED);
        su_records(4, 6); /* sync: they fail (counted); async: kept for later */
        __atomic_store_n(&failing, 0, __ATOMIC_RELAXED);
        tu_clock_advance(2 * SU_SEC); /* past the async retry delay */
        su_records(7, 9);
        assert_int_equal(nlog_flush(), NLOG_OK);
        nlog_shutdown();
        nlog__sys_write = write;
        nlog_set_diagnostics(NULL, NULL);
        nlog_seal_report *r = su_verify(&e, NULL);
        su_assert_ok(r); /* no gap: a failed write gives its numbers back */
        assert_int_equal(su_log(r, "netlink.log")->records, mode == 1 ? 9 : 6);
        nlog_seal_report_destroy(r);
        assert_true(tu_assert_json_lines(log_path(&e)) > 0);
    }
}

static void reconfigure_and_fork_keep_one_chain(void **state)
{
    (void) state;
    su_env e;
    su_env_init(&e, "reconfig");
    tu_clock_fake(T0, 1000 * SU_SEC);
    su_init(&e, 4, NULL);
    su_records(1, 5);
    su_init(&e, 4, NULL); /* the new outputs open before the old ones close */
    su_records(6, 10);
    pid_t pid = fork();
    if (pid == 0) {
        su_records(100, 102);
        nlog_shutdown();
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    su_records(11, 13);
    nlog_shutdown();
    nlog_seal_report *r = su_verify(&e, NULL);
    su_assert_ok(r);
    assert_int_equal(su_log(r, "netlink.log")->records, 16);
    assert_int_equal(su_log(r, "netlink.log")->streams, 1);
    assert_int_equal(su_log(r, "netlink.log")->trailing, 0);
    nlog_seal_report_destroy(r);
}

static void new_master_takes_over(void **state)
{
    (void) state;
    su_env e;
    su_env_init(&e, "rekey");
    char keys2[4400], src[4500], dst[4500], pub2[4500];
    snprintf(keys2, sizeof keys2, "%s/keys2", e.base);
    tu_clock_fake(T0, 1000 * SU_SEC);
    su_init(&e, 4, NULL);
    su_records(1, 6);
    const char *names[1] = {"netlink.log"};
    assert_int_equal(nlog_seal_keygen(keys2, names, 1, e.keys), NLOG_OK);
    snprintf(src, sizeof src, "%s/host/netlink.log.seal.next", keys2);
    snprintf(dst, sizeof dst, "%s/.seal/netlink.log.seal.next", e.dir);
    su_copy_file(src, dst);
    nlog__seal_timer_run(); /* upkeep: the old stream ends with a checkpoint, the new begins */
    su_records(7, 12);
    nlog_shutdown();
    assert_int_equal(access(dst, F_OK), -1); /* installed */
    nlog_seal_report *r = su_verify(&e, NULL); /* with the old key: the transition vouches */
    su_assert_ok(r);
    assert_int_equal(su_log(r, "netlink.log")->streams, 2);
    assert_int_equal(su_log(r, "netlink.log")->records, 12);
    assert_int_equal(su_log(r, "netlink.log")->trailing, 0);
    nlog_seal_report_destroy(r);
    snprintf(pub2, sizeof pub2, "%s/seal.pub", keys2);
    const char *p[1] = {e.dir};
    r = su_verify_with(pub2, p, 1, NULL, 0); /* the new key does not vouch for the old stream */
    su_assert_first(r, NLOG_SEAL_CHECKPOINT_SIG, 1);
    nlog_seal_report_destroy(r);
}

static void security_and_audit_sealed_by_default(void **state)
{
    (void) state;
    su_env e;
    su_env_init(&e, "default_files");
    tu_clock_fake(T0, 1000 * SU_SEC);
    nlog_config cfg;
    tu_config(&cfg, e.dir);
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    nlog_logger *lg = nlog_get_logger("auth");
    for (int i = 0; i < 3; i++) {
        NLOG_SECURITY(lg, "login failed", NLOG_CTX("user", "bob"));
        NLOG_AUDIT(lg, "config changed", NLOG_CTX("key", "level"));
    }
    nlog_shutdown();
    su_lines L = su_read(log_path(&e));
    for (size_t i = 0; i < L.n; i++)
        assert_null(strstr(L.l[i], "\"seal\":")); /* netlink.log: seal is off by default */
    su_free(&L);
    nlog_seal_report *r = su_verify(&e, tu_path(e.dir, "security.log"));
    su_assert_ok(r);
    assert_int_equal(su_log(r, "security.log")->records, 3);
    nlog_seal_report_destroy(r);
    r = su_verify(&e, tu_path(e.dir, "audit.log"));
    su_assert_ok(r);
    assert_int_equal(su_log(r, "audit.log")->records, 3);
    nlog_seal_report_destroy(r);
}

/* At 1000 records per checkpoint, sealing adds at most 48 bytes a record. */
static void bytes_per_record(void **state)
{
    (void) state;
    su_env e;
    su_env_init(&e, "bytes");
    const char *plain = tu_scratch("bytes_plain");
    tu_clock_fake(T0, 1000 * SU_SEC);
    su_init(&e, 1000, NULL);
    su_records(1, 3000);
    nlog_shutdown();
    nlog_config cfg;
    tu_config(&cfg, plain);
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    su_records(1, 3000);
    nlog_shutdown();
    struct stat a, b;
    assert_int_equal(stat(log_path(&e), &a), 0);
    assert_int_equal(stat(tu_path(plain, "netlink.log"), &b), 0);
    double per = (double) (a.st_size - b.st_size) / 3000.0;
    print_message("sealing added %.1f bytes per record (%lld bytes of records)\n", per,
                  (long long) b.st_size / 3000);
    assert_true(per <= 48.0);
}

/* Sealing signs once per checkpoint, never per record. */
static void one_signature_per_checkpoint(void **state)
{
    (void) state;
    su_env e;
    su_env_init(&e, "signatures");
    tu_clock_fake(T0, 1000 * SU_SEC);
    uint64_t before = __atomic_load_n(&nlog__seal_signatures, __ATOMIC_RELAXED);
    su_init(&e, 100, NULL);
    su_records(1, 1050);
    nlog_shutdown();
    uint64_t signed_now = __atomic_load_n(&nlog__seal_signatures, __ATOMIC_RELAXED) - before;
    su_lines L = su_read(log_path(&e));
    assert_int_equal(count_ckpts(&L), 11); /* 10 full ranges and the close */
    assert_int_equal(signed_now, 11);
    su_free(&L);
}

static void old_key_slots_are_wiped(void **state)
{
    (void) state;
    su_env e;
    su_env_init(&e, "wipe");
    tu_clock_fake(T0, 1000 * SU_SEC);
    su_init(&e, 4, NULL);
    su_records(1, 4); /* one checkpoint: epoch 0 ends */
    char p[4400];
    snprintf(p, sizeof p, "%s/.seal/netlink.log.seal", e.dir);
    int fd;
    nlog__seal_file *m;
    assert_int_equal(nlog__seal_state_map(p, &fd, &m), 0);
    unsigned sel = m->meta.m.sel;
    assert_int_equal(m->keys[sel & 1].k.epoch, 1);
    assert_int_equal(m->keys[(sel & 1) ^ 1].k.epoch, 0); /* until the new state is on disk */
    nlog__seal_timer_run(); /* upkeep: msync, then wipe */
    static const uint8_t zero[sizeof m->keys[0]];
    assert_memory_equal(&m->keys[(sel & 1) ^ 1], zero, sizeof zero);
    assert_true(nlog__seal_tree_valid(&m->keys[sel & 1].k));
    nlog__seal_state_unmap(fd, m);
    /* The close checkpoint closes an epoch too, and no upkeep runs after
     * nlog_shutdown(): closing itself wipes the slot. */
    su_records(5, 6);
    nlog_shutdown();
    assert_int_equal(nlog__seal_state_map(p, &fd, &m), 0);
    sel = m->meta.m.sel;
    assert_int_equal(m->keys[sel & 1].k.epoch, 2);
    assert_memory_equal(&m->keys[(sel & 1) ^ 1], zero, sizeof zero);
    assert_int_equal(m->meta.m.wipe_pending, 0);
    assert_true(nlog__seal_tree_valid(&m->keys[sel & 1].k));
    nlog__seal_state_unmap(fd, m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(checkpoints_by_count_and_at_close),
        cmocka_unit_test(interval_checkpoints),
        cmocka_unit_test(rotation_and_compressed_segments),
        cmocka_unit_test(damaged_compressed_segments),
        cmocka_unit_test(no_state_writes_unsealed_and_says_so),
        cmocka_unit_test(text_main_file_is_not_sealed),
        cmocka_unit_test(state_belongs_to_one_directory),
        cmocka_unit_test(writer_killed_between_write_and_commit),
        cmocka_unit_test(default_sealing_needs_a_set_up_host),
        cmocka_unit_test(torn_last_line),
        cmocka_unit_test(disk_full),
        cmocka_unit_test(reconfigure_and_fork_keep_one_chain),
        cmocka_unit_test(new_master_takes_over),
        cmocka_unit_test(security_and_audit_sealed_by_default),
        cmocka_unit_test(bytes_per_record),
        cmocka_unit_test(one_signature_per_checkpoint),
        cmocka_unit_test(old_key_slots_are_wiped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
