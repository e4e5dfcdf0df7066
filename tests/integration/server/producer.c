/* producer.c: a test program that logs numbered records through the
 * remote output, for the kill -9 and exactly-once tests.
 *
 *   producer URL DIR COUNT [PER_MS]
 *
 * Logs COUNT records "record <i>" (i = 0..COUNT-1) with server_url=URL, the
 * spool in DIR/spool and files in DIR, about PER_MS records per millisecond,
 * a SECURITY record every 1000, then nlog_shutdown() (which sends or spools
 * everything). Prints the library's counters as JSON on stdout.
 * $NLOG_TEST_API_KEY, when set, becomes server_api_key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nlog/nlog.h>

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: producer URL DIR COUNT [PER_MS]\n");
        return 2;
    }
    long count = atol(argv[3]);
    long per_ms = argc > 4 ? atol(argv[4]) : 10;
    nlog_config cfg;
    nlog_error err;
    nlog_config_init(&cfg);
    cfg.use_environment = 0;
    cfg.console_enabled = 0;
    cfg.level = NLOG_LEVEL_TRACE;
    snprintf(cfg.directory, sizeof cfg.directory, "%s", argv[2]);
    if (nlog_config_set(&cfg, "server_url", argv[1], &err) != NLOG_OK ||
        nlog_config_set(&cfg, "server_flush_interval_ms", "50", &err) != NLOG_OK ||
        /* the tests count exactly the records this program logs */
        nlog_config_set(&cfg, "audit_lifecycle", "false", &err) != NLOG_OK ||
        /* with access control on (tests/integration/server/test_live.py keys) */
        (getenv("NLOG_TEST_API_KEY") &&
         nlog_config_set(&cfg, "server_api_key", getenv("NLOG_TEST_API_KEY"), &err) != NLOG_OK)) {
        fprintf(stderr, "producer: %s\n", err.message);
        return 2;
    }
    if (nlog_init(&cfg) != NLOG_OK) {
        fprintf(stderr, "producer: %s\n", nlog_errmsg());
        return 1;
    }
    nlog_logger *lg = nlog_get_logger("producer");
    for (long i = 0; i < count; i++) {
        if (i % 1000 == 999)
            NLOG_SECURITY(lg, "security checkpoint", NLOG_META("seq", i),
                          NLOG_META("event_type", "CHECKPOINT"));
        else
            nlog_info(lg, "record %ld", i);
        if (per_ms > 0 && i % per_ms == per_ms - 1) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    }
    nlog_shutdown();
    nlog_counters c;
    memset(&c, 0, sizeof c);
    c.struct_size = sizeof c;
    if (nlog_stats(&c) != NLOG_OK)
        return 1;
    unsigned long long dropped = 0;
    for (int i = 0; i < NLOG_LEVEL_COUNT; i++)
        dropped += c.dropped[i];
    printf("{\"sent\":%llu,\"spooled\":%llu,\"retries\":%llu,\"failed\":%llu,\"dropped\":%llu}\n",
           (unsigned long long) c.remote_sent, (unsigned long long) c.remote_spooled,
           (unsigned long long) c.remote_retries, (unsigned long long) c.records_failed, dropped);
    return 0;
}
