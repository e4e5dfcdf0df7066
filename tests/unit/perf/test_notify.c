/* test_notify.c: alert notifications (src/perf/notify.c, mail.c,
 * webhook.c) delivered to REAL servers started here on 127.0.0.1 with
 * ephemeral ports and stopped by PID: an SMTP relay (Debian's
 * python3-aiosmtpd, tests/support/smtp_sink.py) and an HTTP listener
 * (tests/support/http_sink.py). The messages are read back and their
 * content asserted. Retries follow the fake clock (backoff, Retry-After,
 * the retry budget) and the test waits on the delivery queue, never on
 * time. Also: refusals are given up at once (STARTTLS refused for a relay
 * URL with a password included), secrets never reach the diagnostics, a
 * hung receiver blocks neither logging nor the other channel, shutdown
 * aborts a hung delivery at its grace (fake clock), and the message formats
 * on their own. */
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include "perf_util.h"

#include "perf/notify.h"

typedef struct server {
    pid_t pid;
    int port;
    char dir[4096];
} server;

static void server_start(server *sv, const char *script, const char *name, const char *arg1,
                         const char *arg2)
{
    snprintf(sv->dir, sizeof sv->dir, "%s", tu_scratch(name));
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/support/%s", getenv("NLOG_TEST_SRC"), script);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        (void) prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlives the test */
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        char *argv[] = {(char *) "/usr/bin/python3", path, sv->dir, (char *) arg1,
                        (char *) arg2, NULL};
        if (!arg1)
            argv[3] = NULL;
        else if (!arg2)
            argv[4] = NULL;
        execv("/usr/bin/python3", argv);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    char line[64] = "";
    if (!fgets(line, sizeof line, f) || sscanf(line, "PORT %d", &sv->port) != 1)
        fail_msg("%s did not start (is python3-aiosmtpd installed? sh scripts/install-deps.sh)",
                 script);
    fclose(f);
    sv->pid = pid;
}

static void server_stop(server *sv)
{
    if (sv->pid > 0) {
        kill(sv->pid, SIGTERM);
        waitpid(sv->pid, NULL, 0);
        sv->pid = 0;
    }
}

static char *read_out(const server *sv, const char *name)
{
    char *t = tu_read_file(tu_path(sv->dir, name), NULL);
    if (!t)
        fail_msg("the server did not receive %s", name);
    return t;
}

static void contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("expected '%s' in:\n%s", needle, hay);
}

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    assert_int_equal(bind(s, (struct sockaddr *) &a, sizeof a), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *) &a, &l), 0);
    close(s); /* nothing listens there now: connections are refused */
    return ntohs(a.sin_port);
}

static void start_lib(const char *smtp_url, const char *webhook_url)
{
    nlog_config cfg;
    tu_config(&cfg, NULL);
    cfg.performance_record_every = 0;
    cfg.alerts_enabled = 1;
    snprintf(cfg.alert_email, sizeof cfg.alert_email, "ops@example.com");
    snprintf(cfg.alert_email_from, sizeof cfg.alert_email_from, "nlog@test.example");
    if (smtp_url)
        snprintf(cfg.alert_smtp_url, sizeof cfg.alert_smtp_url, "%s", smtp_url);
    if (webhook_url)
        snprintf(cfg.alert_webhook_url, sizeof cfg.alert_webhook_url, "%s", webhook_url);
    pu_start(NULL, &cfg);
    tu_diag_capture();
    nlog__notify_test_policy(PU_S, 60 * PU_S, NLOG__NOTIFY_RETRY_BUDGET_NS, 5 * PU_S);
    nlog_alert_config a;
    nlog_alert_config_init(&a);
    a.name = "slow requests";
    a.metric = "response_time";
    a.threshold = 2;
    a.duration_ns = 60 * PU_S;
    assert_int_equal(nlog_perf_alert(&a, NULL), NLOG_OK);
}

/* Fires "slow requests" (samples 60 s apart above 2 s), then resolves it. */
static void fire_then_resolve(void)
{
    nlog_record_metric("response_time", 3.0, "seconds", NLOG_TAG("endpoint", "/api/users"));
    tu_clock_advance(60 * PU_S);
    nlog_record_metric("response_time", 2.5, "seconds", NLOG_TAG("endpoint", "/api/users"));
    tu_clock_advance(5 * PU_S);
    nlog_record_metric("response_time", 0.2, "seconds", NLOG_TAG("endpoint", "/api/users"));
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
}

static int teardown(void **state)
{
    (void) state;
    nlog_shutdown();
    nlog_set_diagnostics(NULL, NULL);
    tu_clock_real();
    return 0;
}

static void test_email_to_real_smtp_server(void **state)
{
    (void) state;
    server sv;
    server_start(&sv, "smtp_sink.py", "smtp", NULL, NULL);
    char url[128];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", sv.port);
    nlog_perf_counters before = pu_counters();
    start_lib(url, NULL);
    fire_then_resolve();
    assert_int_equal(nlog__notify_wait_idle(20000), 0);

    char *env = read_out(&sv, "msg-1.env");
    contains(env, "from nlog@test.example\n");
    contains(env, "to ops@example.com\n");
    free(env);
    char *m = read_out(&sv, "msg-1.eml");
    contains(m, "From: nlog@test.example\r\n");
    contains(m, "To: ops@example.com\r\n");
    contains(m, "Subject: [nlog] FIRING: slow requests on ");
    contains(m, "Content-Type: text/plain; charset=utf-8\r\n");
    contains(m, "X-Nlog-Alert-State: firing\r\n");
    contains(m, "Date: Thu, 01 Jan 2026 00:01:00 +0000\r\n");
    contains(m, "\r\n\r\nAlert \"slow requests\" is FIRING on ");
    contains(m, "Metric:     response_time\r\n");
    contains(m, "Tags:       endpoint=/api/users\r\n");
    contains(m, "Value:      2.5 seconds\r\n");
    contains(m, "Condition:  gt 2 for at least 60 s\r\n");
    contains(m, "Held:       60 s, since 2026-01-01T00:00:00.000000Z\r\n");
    free(m);
    m = read_out(&sv, "msg-2.eml");
    contains(m, "Subject: [nlog] RESOLVED: slow requests on ");
    contains(m, "Value:      0.2 seconds\r\n");
    free(m);
    nlog_perf_counters c = pu_counters();
    assert_int_equal(c.notifications_sent - before.notifications_sent, 2);
    assert_int_equal(c.notifications_failed - before.notifications_failed, 0);
    server_stop(&sv);
}

/* The relay says "try later" once: the e-mail is sent again after the
 * backoff (fake clock), and the recovery is reported. */
static void test_smtp_temporary_failure_is_retried(void **state)
{
    (void) state;
    server sv;
    server_start(&sv, "smtp_sink.py", "smtp_retry", "1", NULL);
    char url[128];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", sv.port);
    nlog_perf_counters before = pu_counters();
    start_lib(url, NULL);
    nlog_record_metric("response_time", 3.0, "seconds");
    tu_clock_advance(60 * PU_S);
    nlog_record_metric("response_time", 3.0, "seconds");
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(nlog__notify_wait_idle(20000), 1); /* waiting for its retry */
    assert_true(tu_diag_contains("alert e-mail delivery to smtp://127.0.0.1:"));
    assert_true(tu_diag_contains("(SMTP reply 451); retrying with backoff"));
    assert_null(tu_read_file(tu_path(sv.dir, "msg-1.eml"), NULL));
    tu_clock_advance(PU_S); /* the first backoff */
    assert_int_equal(nlog__notify_wait_idle(20000), 0);
    char *m = read_out(&sv, "msg-1.eml");
    contains(m, "FIRING: slow requests");
    free(m);
    assert_true(tu_diag_contains("works again"));
    nlog_perf_counters c = pu_counters();
    assert_int_equal(c.notifications_retried - before.notifications_retried, 1);
    assert_int_equal(c.notifications_sent - before.notifications_sent, 1);
    server_stop(&sv);
}

static void test_webhook_to_real_http_listener(void **state)
{
    (void) state;
    server sv;
    server_start(&sv, "http_sink.py", "hook", "500", NULL); /* the first post fails */
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hooks/T0KEN-SECRET", sv.port);
    nlog_perf_counters before = pu_counters();
    start_lib(NULL, url);
    nlog_record_metric("response_time", 3.0, "seconds", NLOG_TAG("endpoint", "/api/users"));
    tu_clock_advance(60 * PU_S);
    nlog_record_metric("response_time", 2.5, "seconds", NLOG_TAG("endpoint", "/api/users"));
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(nlog__notify_wait_idle(20000), 1);
    tu_clock_advance(PU_S);
    assert_int_equal(nlog__notify_wait_idle(20000), 0);

    char *hdr = read_out(&sv, "req-2.hdr");
    contains(hdr, "POST /hooks/T0KEN-SECRET\n");
    contains(hdr, "Content-Type: application/json\n");
    free(hdr);
    char *b1 = read_out(&sv, "req-1.json"), *b2 = read_out(&sv, "req-2.json");
    assert_string_equal(b1, b2); /* the retry posts the same body */
    json_object *j = tu_parse_json(b2);
    const char *text = pu_str(j, "text");
    if (strncmp(text, "[FIRING] slow requests: response_time {endpoint=/api/users} = 2.5 seconds "
                      "(gt 2) for 60 s on ", 92) != 0)
        fail_msg("text: %s", text);
    json_object *att = json_object_array_get_idx(pu_get(j, "attachments"), 0);
    assert_string_equal(pu_str(att, "color"), "danger");
    assert_string_equal(pu_str(att, "title"), "Firing: slow requests");
    json_object *fields = pu_get(att, "fields");
    assert_string_equal(pu_str(json_object_array_get_idx(fields, 0), "title"), "Metric");
    assert_string_equal(pu_str(json_object_array_get_idx(fields, 0), "value"), "response_time");
    assert_string_equal(pu_str(json_object_array_get_idx(fields, 1), "value"), "2.5 seconds");
    assert_string_equal(pu_str(json_object_array_get_idx(fields, 6), "value"), "endpoint=/api/users");
    json_object_put(j);
    free(b1);
    free(b2);
    /* the token in the URL's path never reaches a message */
    assert_true(tu_diag_contains("HTTP status 500; retrying with backoff"));
    for (size_t i = 0; i < tu_diag_count(); i++)
        if (strstr(tu_diag_message(i), "T0KEN"))
            fail_msg("a diagnostic shows the webhook token: %s", tu_diag_message(i));
    char redacted[96];
    snprintf(redacted, sizeof redacted, "http://127.0.0.1:%d/***", sv.port);
    assert_true(tu_diag_contains(redacted));
    nlog_perf_counters c = pu_counters();
    assert_int_equal(c.notifications_sent - before.notifications_sent, 1);
    assert_int_equal(c.notifications_retried - before.notifications_retried, 1);
    server_stop(&sv);
}

/* A refusal (HTTP 400) is not retried; retries end after the last attempt. */
static void test_refusals_and_giving_up(void **state)
{
    (void) state;
    server sv;
    server_start(&sv, "http_sink.py", "hook_refused", "400", NULL);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", sv.port);
    nlog_perf_counters before = pu_counters();
    start_lib(NULL, url);
    nlog_record_metric("response_time", 3.0, "seconds");
    tu_clock_advance(60 * PU_S);
    nlog_record_metric("response_time", 3.0, "seconds");
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(nlog__notify_wait_idle(20000), 0);
    assert_true(tu_diag_contains("given up after 1 attempt: HTTP status 400"));
    nlog_perf_counters c = pu_counters();
    assert_int_equal(c.notifications_failed - before.notifications_failed, 1);
    nlog_shutdown();
    server_stop(&sv);

    /* nothing listens: connection refused; with a retry budget of 3 s the
     * attempts are at 0, 1 and 3 s (the next would be at 7), then it is
     * given up; the password of the relay URL never shows */
    char smtp[128];
    snprintf(smtp, sizeof smtp, "smtp://alerts:pa55word@127.0.0.1:%d", free_port());
    before = pu_counters();
    start_lib(smtp, NULL);
    nlog__notify_test_policy(PU_S, 60 * PU_S, 3 * PU_S, 0);
    nlog_record_metric("response_time", 3.0, "seconds");
    tu_clock_advance(60 * PU_S);
    nlog_record_metric("response_time", 3.0, "seconds");
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(nlog__notify_wait_idle(20000), 1);
    tu_clock_advance(PU_S);
    assert_int_equal(nlog__notify_wait_idle(20000), 1);
    tu_clock_advance(2 * PU_S);
    assert_int_equal(nlog__notify_wait_idle(20000), 0);
    c = pu_counters();
    assert_int_equal(c.notifications_retried - before.notifications_retried, 2);
    assert_int_equal(c.notifications_failed - before.notifications_failed, 1);
    assert_true(tu_diag_contains("given up after 3 attempts (retry budget spent)"));
    assert_true(tu_diag_contains("smtp://alerts:***@127.0.0.1:"));
    for (size_t i = 0; i < tu_diag_count(); i++)
        if (strstr(tu_diag_message(i), "pa55word"))
            fail_msg("a diagnostic shows the password: %s", tu_diag_message(i));
    nlog__notify_test_policy(PU_S, 60 * PU_S, NLOG__NOTIFY_RETRY_BUDGET_NS, 0);
}

/* smtp:// with a password requires STARTTLS: a relay that does not offer
 * it (this one) gets neither the password nor the message, and the e-mail
 * is given up at once (a refusal, not retried). */
static void test_password_requires_starttls(void **state)
{
    (void) state;
    server sv;
    server_start(&sv, "smtp_sink.py", "smtp_starttls", NULL, NULL);
    char url[160];
    snprintf(url, sizeof url, "smtp://alerts:pa55word@127.0.0.1:%d", sv.port);
    nlog_perf_counters before = pu_counters();
    start_lib(url, NULL);
    fire_then_resolve();
    assert_int_equal(nlog__notify_wait_idle(20000), 0);
    nlog_perf_counters c = pu_counters();
    assert_int_equal(c.notifications_sent - before.notifications_sent, 0);
    assert_int_equal(c.notifications_retried - before.notifications_retried, 0);
    assert_int_equal(c.notifications_failed - before.notifications_failed, 2);
    assert_null(tu_read_file(tu_path(sv.dir, "msg-1.eml"), NULL));
    assert_true(tu_diag_contains("given up after 1 attempt: "));
    assert_true(tu_diag_contains("smtp://alerts:***@127.0.0.1:"));
    for (size_t i = 0; i < tu_diag_count(); i++)
        if (strstr(tu_diag_message(i), "pa55word"))
            fail_msg("a diagnostic shows the password: %s", tu_diag_message(i));
    server_stop(&sv);
}

/* A retry budget of minutes: with the default policy (1 s doubling, at most
 * 60 s apart, 15 minutes in all) a relay that stays unreachable is tried
 * for 15 minutes of the fake clock, not given up after a few seconds. */
static void test_retry_budget(void **state)
{
    (void) state;
    char smtp[128];
    snprintf(smtp, sizeof smtp, "smtp://127.0.0.1:%d", free_port());
    nlog_perf_counters before = pu_counters();
    start_lib(smtp, NULL);
    nlog_record_metric("response_time", 3.0, "seconds");
    tu_clock_advance(60 * PU_S);
    nlog_record_metric("response_time", 3.0, "seconds");
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    int64_t waited = 0;
    while (nlog__notify_wait_idle(20000) == 1) { /* one attempt per step of 60 s */
        assert_true(waited <= 20 * PU_MIN);
        tu_clock_advance(PU_MIN);
        waited += PU_MIN;
    }
    /* attempts at 0, 60, ..., 900 s; the one at 900 s would retry past the budget */
    assert_true(waited == 15 * PU_MIN);
    nlog_perf_counters c = pu_counters();
    assert_int_equal(c.notifications_retried - before.notifications_retried, 15);
    assert_int_equal(c.notifications_failed - before.notifications_failed, 1);
    assert_true(tu_diag_contains("given up after 16 attempts (retry budget spent)"));
}

/* HTTP 429 with Retry-After: 120 is retried after 120 s, not after the 1 s
 * backoff. */
static void test_retry_after(void **state)
{
    (void) state;
    server sv;
    server_start(&sv, "http_sink.py", "hook_retry_after", "429:120", NULL);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", sv.port);
    nlog_perf_counters before = pu_counters();
    start_lib(NULL, url);
    nlog_record_metric("response_time", 3.0, "seconds");
    tu_clock_advance(60 * PU_S);
    nlog_record_metric("response_time", 3.0, "seconds");
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(nlog__notify_wait_idle(20000), 1);
    assert_true(tu_diag_contains("HTTP status 429 (Retry-After: 120 s); retrying with backoff"));
    tu_clock_advance(PU_S); /* the backoff alone would retry now */
    assert_int_equal(nlog__notify_wait_idle(20000), 1);
    assert_null(tu_read_file(tu_path(sv.dir, "req-2.json"), NULL));
    tu_clock_advance(119 * PU_S);
    assert_int_equal(nlog__notify_wait_idle(20000), 0);
    free(read_out(&sv, "req-2.json"));
    nlog_perf_counters c = pu_counters();
    assert_int_equal(c.notifications_sent - before.notifications_sent, 1);
    assert_int_equal(c.notifications_retried - before.notifications_retried, 1);
    server_stop(&sv);
}

/* Each channel has its own delivery thread: a webhook receiver that never
 * answers does not hold the e-mails back. */
static void test_channels_do_not_wait_for_each_other(void **state)
{
    (void) state;
    server mail, hook;
    server_start(&mail, "smtp_sink.py", "smtp_beside_hang", NULL, NULL);
    server_start(&hook, "http_sink.py", "hook_beside_hang", "hang", NULL);
    char smtp[128], url[128];
    snprintf(smtp, sizeof smtp, "smtp://127.0.0.1:%d", mail.port);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", hook.port);
    nlog_perf_counters before = pu_counters();
    start_lib(smtp, url);
    tu_clock_real(); /* the stop grace below is real time */
    nlog__notify_test_policy(0, 0, 0, 300 * PU_MS);
    nlog_alert_config a;
    nlog_alert_config_init(&a);
    a.metric = "flip"; /* duration 0: fires and resolves at once */
    assert_int_equal(nlog_perf_alert(&a, NULL), NLOG_OK);
    assert_int_equal(nlog_record_metric("flip", 1, NULL), NLOG_OK); /* firing: mail + hook */
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(nlog_record_metric("flip", 0, NULL), NLOG_OK); /* resolved: mail + hook */
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    /* both e-mails arrive although the first post still hangs */
    assert_int_equal(nlog__notify_test_wait_sent(before.notifications_sent + 2, 20000), 0);
    free(read_out(&mail, "msg-2.eml"));
    nlog_shutdown(); /* aborts the hung post after the grace */
    nlog_perf_counters c = pu_counters();
    assert_int_equal(c.notifications_sent - before.notifications_sent, 2);
    server_stop(&hook);
    server_stop(&mail);
}

/* A receiver that never answers holds only its delivery thread:
 * recording, aggregation and logging go on. At shutdown the hung post is
 * aborted when the grace (5 s) has passed on the injectable clock: the
 * shutdown below ends when the fake clock is moved on, with curl's "aborted
 * by an application callback", long before curl's own 30 s timeout. */
static void *shutdown_thread(void *arg)
{
    (void) arg;
    nlog_shutdown();
    return NULL;
}

static void test_hung_receiver_and_shutdown_grace(void **state)
{
    (void) state;
    server sv;
    server_start(&sv, "http_sink.py", "hook_hang", "hang", NULL);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", sv.port);
    nlog_perf_counters before = pu_counters();
    start_lib(NULL, url);
    nlog_alert_config a;
    nlog_alert_config_init(&a);
    a.metric = "hang_trigger";
    assert_int_equal(nlog_perf_alert(&a, NULL), NLOG_OK);
    assert_int_equal(nlog_record_metric("hang_trigger", 1, NULL), NLOG_OK);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    for (int i = 0; i < 2000; i++)
        assert_int_equal(nlog_record_metric("busy", i, NULL), NLOG_OK);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(pu_summary("busy", NULL, 0, PU_MIN, NULL).count, 2000);

    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, shutdown_thread, NULL), 0);
    assert_int_equal(nlog__notify_test_wait_stopping(20000), 0);
    tu_clock_advance(5 * PU_S); /* the grace has passed */
    pthread_join(t, NULL);
    nlog_perf_counters c = pu_counters();
    assert_int_equal(c.notifications_sent - before.notifications_sent, 0);
    assert_int_equal(c.notifications_failed - before.notifications_failed, 1);
    assert_true(tu_diag_contains("aborted by an application callback"));
    server_stop(&sv);
}

/* The formats on their own: header injection is impossible, the body keeps
 * UTF-8, the JSON is valid whatever the tags hold. */
static void test_formats(void **state)
{
    (void) state;
    nlog_tag tags[] = {{"path", "/a\r\nBcc: victim@example.com"}, {"user", "Jos\xc3\xa9 \xff"}};
    nlog_alert_event ev = {
        .alert_id = 7,
        .alert_name = "p99 latency \xc3\xa9",
        .state = NLOG_ALERT_FIRING,
        .metric = "response_time",
        .unit = "seconds",
        .tags = tags,
        .n_tags = 2,
        .value = 2.5,
        .threshold = 2,
        .compare = NLOG_CMP_GT,
        .time_ns = PU_T0 + 60 * PU_S,
        .since_ns = PU_T0,
        .duration_ns = 60 * PU_S,
    };
    size_t len;
    char *m = nlog__mail_format(&ev, "a@b", "c@d", "host1", PU_T0, &len);
    assert_non_null(m);
    assert_int_equal(strlen(m), len);
    char *body = strstr(m, "\r\n\r\n");
    assert_non_null(body);
    *body = '\0';
    assert_null(strstr(m, "Bcc")); /* the headers are ours only */
    contains(m, "Subject: [nlog] FIRING: p99 latency ?? on host1\r\n"); /* ASCII headers */
    *body = '\r';
    contains(body, "Tags:       path=/a??Bcc: victim@example.com, user=Jos\xc3\xa9 ?\r\n");
    for (char *p = m; *p; p++) /* every line ends in CRLF */
        if (*p == '\n' && (p == m || p[-1] != '\r'))
            fail_msg("a bare LF at byte %td", p - m);
    free(m);
    char *w = nlog__webhook_format(&ev, "host1", &len);
    json_object *j = tu_parse_json(w);
    contains(pu_str(j, "text"), "[FIRING] p99 latency \xc3\xa9: response_time {path=/a\r\nBcc");
    json_object_put(j);
    free(w);
    ev.state = NLOG_ALERT_RESOLVED;
    w = nlog__webhook_format(&ev, "host1", &len);
    j = tu_parse_json(w);
    contains(pu_str(j, "text"), "[RESOLVED] ");
    assert_string_equal(pu_str(json_object_array_get_idx(pu_get(j, "attachments"), 0), "color"),
                        "good");
    json_object_put(j);
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats),
        cmocka_unit_test_teardown(test_email_to_real_smtp_server, teardown),
        cmocka_unit_test_teardown(test_smtp_temporary_failure_is_retried, teardown),
        cmocka_unit_test_teardown(test_webhook_to_real_http_listener, teardown),
        cmocka_unit_test_teardown(test_refusals_and_giving_up, teardown),
        cmocka_unit_test_teardown(test_password_requires_starttls, teardown),
        cmocka_unit_test_teardown(test_retry_budget, teardown),
        cmocka_unit_test_teardown(test_retry_after, teardown),
        cmocka_unit_test_teardown(test_channels_do_not_wait_for_each_other, teardown),
        cmocka_unit_test_teardown(test_hung_receiver_and_shutdown_grace, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
